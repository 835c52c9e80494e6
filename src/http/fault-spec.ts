// Parses the `--fault` text form: comma-separated key=value pairs, e.g.
// `path=/metadata/identity/*,status=410,count=3` or `path=/metadata/instance,delay=2s,probability=0.5,seed=7`.
import type { HttpFault, HttpFaultStatus } from '../config/vm-profile.ts';
import { DURATION_FORMS, parseDurationText } from '../util/duration.ts';
import { FaultError, validateFault } from './http-faults.ts';

const KEYS = ['path', 'status', 'delay', 'count', 'probability', 'p', 'seed'] as const;

function number(key: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new FaultError(`--fault ${key}: not a number: ${JSON.stringify(text)}`);
  return value;
}

/** Delay as milliseconds: `250`, `250ms`, `2s`, `1m` (the project's duration grammar). */
function delay(text: string): number {
  const ms = parseDurationText(text);
  if (ms === undefined) throw new FaultError(`--fault delay: expected ${DURATION_FORMS}, got ${JSON.stringify(text)}`);
  return ms;
}

export function parseFaultSpec(spec: string): HttpFault {
  const fields: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FaultError(`--fault: expected key=value, got ${JSON.stringify(part)} in ${JSON.stringify(spec)}`);
    const key = part.slice(0, eq).trim();
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new FaultError(`--fault: unknown key ${JSON.stringify(key)} (known: path, status, delay, count, probability, seed)`);
    }
    fields[key === 'p' ? 'probability' : key] = part.slice(eq + 1).trim();
  }
  if (fields.path === undefined) throw new FaultError(`--fault: path=… is required in ${JSON.stringify(spec)}`);
  const fault: { -readonly [K in keyof HttpFault]: HttpFault[K] } = { path: fields.path };
  if (fields.status !== undefined) fault.status = number('status', fields.status) as HttpFaultStatus;
  if (fields.delay !== undefined) fault.delayMs = delay(fields.delay);
  if (fields.count !== undefined) fault.count = number('count', fields.count);
  if (fields.probability !== undefined) fault.probability = number('probability', fields.probability);
  if (fields.seed !== undefined) fault.seed = number('seed', fields.seed);
  return validateFault(fault);
}
