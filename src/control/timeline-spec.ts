// Timeline definitions (scenario S14): a named list of phases, each lasting a duration and applying an
// HTTP fault, a network fault, "refuse" (connections refused) or nothing (normal service); checked strictly.
import type { HttpFault, HttpFaultStatus } from '../config/vm-profile.ts';
import { FaultError, validateFault } from '../http/http-faults.ts';
import { fieldError } from './control-error.ts';
import { parseDuration } from './duration.ts';
import { Params } from './params.ts';

export interface TimelinePhase {
  readonly label: string;
  /** null: lasts until the timeline is stopped (last phase only). */
  readonly durationMs: number | null;
  readonly http: readonly HttpFault[];
  /** A `--net-fault` spec or persona name (capture tun). */
  readonly net: string | null;
  /** Refuse connections (socket mode: listener closed; tun: the rst net fault). */
  readonly refuse: boolean;
}

export interface TimelineSpec {
  readonly name: string;
  readonly phases: readonly TimelinePhase[];
  /** Start over after the last phase (which then needs a duration). */
  readonly loop: boolean;
}

/** Persona names accepted for network faults besides the raw `--net-fault` syntax. */
export const NET_PERSONAS: Readonly<Record<string, string>> = {
  'black-hole': 'drop-syn',
  refuse: 'rst',
  icmp: 'icmp-host',
  lossy: 'loss=0.3',
};

/** A persona name becomes its spec; anything else is taken as a `--net-fault` spec. */
export function netSpecOf(text: string): string {
  return NET_PERSONAS[text] ?? text;
}

export const PHASE_KEYS = ['label', 'duration', 'http', 'status', 'delay', 'path', 'net', 'refuse'] as const;

/** Reads one fault object (a timeline's or fault.add's); `path` defaults to `defaultPath`. */
export function readHttpFault(value: unknown, field: string, defaultPath?: string): HttpFault {
  const p = new Params(value, field).only(['path', 'status', 'delayMs', 'delay', 'count', 'probability', 'seed']);
  if (p.has('delay') && p.has('delayMs')) throw fieldError(p.field('delay'), 'give delay or delayMs, not both');
  const path = p.has('path') || defaultPath === undefined ? p.string('path') : defaultPath;
  const status = p.has('status') ? p.integer('status', 100, 599) : undefined;
  const delayMs = p.has('delay') ? parseDuration(p.raw('delay'), p.field('delay')) : p.has('delayMs') ? parseDuration(p.raw('delayMs'), p.field('delayMs')) : undefined;
  const count = p.optionalInteger('count', 1, Number.MAX_SAFE_INTEGER);
  const probability = p.has('probability') ? numberIn(p, 'probability', 0, 1) : undefined;
  const seed = p.optionalInteger('seed', -0x80000000, 0xffffffff);
  const fault: HttpFault = {
    path,
    ...(status !== undefined ? { status: status as HttpFaultStatus } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
    ...(count !== undefined ? { count } : {}),
    ...(probability !== undefined ? { probability } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
  try {
    return validateFault(fault);
  } catch (error) {
    // validateFault's messages (src/http/http-faults.ts) read "fault.status must be …": re-anchor them on this request's field path.
    if (error instanceof FaultError) {
      const m = /^fault\.(\w+) (.*)$/s.exec(error.message);
      throw m ? fieldError(childOf(field, m[1]!), m[2]!) : fieldError(field, error.message);
    }
    throw error;
  }
}

function childOf(field: string, key: string): string {
  return `${field}.${key}`;
}

function numberIn(p: Params, key: string, min: number, max: number): number {
  const v = p.raw(key);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw fieldError(p.field(key), `must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function readPhase(value: unknown, field: string, last: boolean): TimelinePhase {
  const p = new Params(value, field).only(PHASE_KEYS);
  const durationMs = p.has('duration') ? parseDuration(p.raw('duration'), p.field('duration')) : null;
  if (durationMs === null && !last) throw fieldError(p.field('duration'), 'is required (only the last phase may run until stopped)');
  const http: HttpFault[] = [];
  if (p.has('http')) {
    const raw = p.raw('http');
    const list = Array.isArray(raw) ? raw : [raw];
    list.forEach((item, i) => http.push(readHttpFault(item, Array.isArray(raw) ? `${p.field('http')}[${i}]` : p.field('http'), '/')));
  }
  if (p.has('status') || p.has('delay')) {
    http.push(readHttpFault({ path: p.has('path') ? p.raw('path') : '/', ...(p.has('status') ? { status: p.raw('status') } : {}), ...(p.has('delay') ? { delay: p.raw('delay') } : {}) }, field));
  } else if (p.has('path')) {
    throw fieldError(p.field('path'), 'applies to the status/delay shorthand only (put path inside http otherwise)');
  }
  const net = p.has('net') ? p.string('net').trim() : null;
  if (net === '') throw fieldError(p.field('net'), 'must be a --net-fault spec or a persona (black-hole, refuse, icmp, lossy, stall, rst, loss=P…)');
  const refuse = p.optionalBoolean('refuse') ?? false;
  if (refuse && net !== null) throw fieldError(p.field('refuse'), 'cannot be combined with net in one phase (refuse is the rst net fault)');
  const label = p.optionalString('label') ?? describePhase({ http, net, refuse });
  return { label, durationMs, http, net, refuse };
}

/** A short human label: "refuse", "410", "net drop-syn", "200". */
export function describePhase(phase: Pick<TimelinePhase, 'http' | 'net' | 'refuse'>): string {
  const parts: string[] = [];
  if (phase.refuse) parts.push('refuse');
  if (phase.net !== null) parts.push(`net ${phase.net}`);
  for (const f of phase.http) parts.push(f.status !== undefined ? String(f.status) : `delay ${f.delayMs}ms`);
  return parts.length ? parts.join(' + ') : 'normal';
}

export function readTimeline(value: unknown, field = 'timeline'): TimelineSpec {
  const p = new Params(value, field).only(['name', 'phases', 'loop']);
  const name = p.optionalString('name') ?? 'timeline';
  const list = p.array('phases');
  if (list.length === 0) throw fieldError(p.field('phases'), 'must hold at least one phase');
  if (list.length > 1000) throw fieldError(p.field('phases'), 'at most 1000 phases');
  const phases = list.map((item, i) => readPhase(item, `${p.field('phases')}[${i}]`, i === list.length - 1));
  const loop = p.optionalBoolean('loop') ?? false;
  if (loop && phases.some((ph) => ph.durationMs === null)) throw fieldError(p.field('loop'), 'a looping timeline needs a duration on every phase');
  if (loop && phases.every((ph) => ph.durationMs === 0)) throw fieldError(p.field('loop'), 'a looping timeline needs a phase longer than 0');
  return { name, phases, loop };
}

/**
 * The CLI's compact phase form: KIND[:DURATION] where KIND is refuse, ok, a status (404/410/429/500/503),
 * delay=D, or net=SPEC; e.g. `refuse:5s 410:70s 404:10s ok`. `path` applies to status/delay phases.
 */
export function parsePhaseShorthand(text: string, path = '/'): Record<string, unknown> {
  const colon = text.lastIndexOf(':');
  const hasDuration = colon > 0 && /^\d/.test(text.slice(colon + 1));
  const kind = hasDuration ? text.slice(0, colon) : text;
  const phase: Record<string, unknown> = hasDuration ? { duration: text.slice(colon + 1) } : {};
  if (kind === 'refuse') phase.refuse = true;
  else if (kind === 'ok' || kind === '200') phase.label = 'normal';
  else if (/^\d{3}$/.test(kind)) Object.assign(phase, { status: Number(kind), path });
  else if (kind.startsWith('delay=')) Object.assign(phase, { delay: kind.slice(6), path });
  else if (kind.startsWith('net=')) phase.net = kind.slice(4);
  else throw fieldError('phase', `expected refuse, ok, a status (e.g. 410), delay=D or net=SPEC, optionally :DURATION; got ${JSON.stringify(text)}`);
  return phase;
}
