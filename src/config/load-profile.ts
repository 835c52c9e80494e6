// Loads a VM profile from JSON or YAML, validates every section (all problems at once, each naming its field
// path), fills optional sections from the embedded default, and returns a deep-frozen VmProfile.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { VmProfile } from './vm-profile.ts';
import { DEFAULT_PROFILE } from './default-profile.ts';
import { deepFreeze } from './deep-freeze.ts';
import { ProfileError } from './profile-error.ts';
import type { ProfileProblem } from './profile-error.ts';
import { isPlainObject } from '../util/field-reader.ts';
import { ProblemList } from './profile-checker.ts';
import { validateInstance } from './validate-instance.ts';
import { validateIdentity, validateLoadBalancer } from './validate-identity.ts';
import { validateScheduledEvents } from './validate-scheduled-events.ts';
import { validateExtended, validateReprovisionData, validateService, validateSourcePolicy } from './validate-service.ts';

export type ProfileFormat = 'json' | 'yaml';

/**
 * Top-level sections. `instance` is required; every other one is optional and, when absent, taken from
 * DEFAULT_PROFILE. `service` and `extended` merge field by field over the default; `identity`,
 * `loadBalancer` and `scheduledEvents` replace the default section as a whole when present.
 */
export const PROFILE_SECTIONS = ['instance', 'extended', 'identity', 'loadBalancer', 'scheduledEvents', 'reprovisionData', 'service', 'sourcePolicy'] as const;

/** json for .json, yaml for .yaml/.yml; otherwise JSON when the text starts with `{`, else YAML. */
export function detectFormat(fileName: string, text: string): ProfileFormat {
  const ext = extname(fileName).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

function jsonProblem(text: string, error: unknown): ProfileProblem {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\r?\n/g, '\\n');
  // Node 20's JSON.parse names a position only for some mistakes; YAML (a JSON superset) locates others.
  const position = /at position (\d+)/.exec(message);
  let where = '';
  if (position) {
    const before = text.slice(0, Number(position[1]));
    where = ` at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
  } else {
    const located = parseDocument(text).errors[0]?.linePos?.[0];
    if (located) where = ` at line ${located.line}, column ${located.col}`;
  }
  return { path: '', message: `not valid JSON${where}: ${message}` };
}

function hasCycle(value: unknown, ancestors: Set<unknown> = new Set()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const found = Object.values(value).some((child) => hasCycle(child, ancestors));
  ancestors.delete(value);
  return found;
}

/** Parses profile text (no validation); syntax errors become a ProfileError naming line and column. */
export function parseProfileText(text: string, options: { source?: string; format?: ProfileFormat } = {}): unknown {
  const source = options.source ?? 'profile';
  const format = options.format ?? detectFormat(source, text);
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ProfileError(source, [jsonProblem(text, error)], { cause: error });
    }
  }
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ProfileError(
      source,
      document.errors.map((e) => ({ path: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new ProfileError(source, [{ path: '', message: `not valid YAML: ${(error as Error).message}` }], { cause: error });
  }
  if (hasCycle(value)) throw new ProfileError(source, [{ path: '', message: 'contains a circular reference (a YAML alias inside itself)' }]);
  return value;
}

/** Validates parsed profile data; returns the frozen profile, or every problem found. Never throws. */
export function checkProfile(data: unknown): { profile: VmProfile | undefined; problems: readonly ProfileProblem[] } {
  const problems = new ProblemList();
  if (!isPlainObject(data)) {
    problems.add('', `a profile must be an object with an "instance" section, got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`);
    return { profile: undefined, problems: problems.problems };
  }
  problems.checkKeys('', data, PROFILE_SECTIONS);
  const fallback = DEFAULT_PROFILE;
  const given = (key: (typeof PROFILE_SECTIONS)[number]): boolean => data[key] !== undefined;

  const instance = given('instance') ? validateInstance(data.instance, problems) : (problems.add('instance', 'is required'), undefined);
  const vmName = typeof instance?.compute.name === 'string' && instance.compute.name ? instance.compute.name : fallback.instance.compute.name as string;
  const extended = given('extended') ? validateExtended(data.extended, fallback.extended, problems) : fallback.extended;
  const identity = given('identity') ? validateIdentity(data.identity, problems) : fallback.identity;
  const loadBalancer = given('loadBalancer') ? validateLoadBalancer(data.loadBalancer, problems) : fallback.loadBalancer;
  const scheduledEvents = given('scheduledEvents') ? validateScheduledEvents(data.scheduledEvents, problems, vmName) : fallback.scheduledEvents;
  const reprovisionData = given('reprovisionData') ? validateReprovisionData(data.reprovisionData, problems) : fallback.reprovisionData;
  const service = given('service') ? validateService(data.service, fallback.service, problems) : fallback.service;
  const sourcePolicy = given('sourcePolicy') ? validateSourcePolicy(data.sourcePolicy, problems) : fallback.sourcePolicy;

  if (
    problems.count > 0 ||
    !instance ||
    !extended ||
    !identity ||
    loadBalancer === undefined ||
    !scheduledEvents ||
    reprovisionData === undefined ||
    !service ||
    !sourcePolicy
  ) {
    if (problems.count === 0) problems.add('', 'invalid profile');
    return { profile: undefined, problems: problems.problems };
  }
  // structuredClone detaches the result from the default's frozen objects and from the caller's data.
  const profile: VmProfile = structuredClone({ instance, extended, identity, loadBalancer, scheduledEvents, reprovisionData, service, sourcePolicy });
  return { profile: deepFreeze(profile), problems: [] };
}

/** Validates parsed profile data; throws ProfileError listing every problem. */
export function validateProfile(data: unknown, source = 'profile'): VmProfile {
  const { profile, problems } = checkProfile(data);
  if (!profile) throw new ProfileError(source, problems);
  return profile;
}

function readProblem(file: string, error: unknown): ProfileError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
  return new ProfileError(file, [{ path: '', message: `cannot read ${file}: ${reason}` }], { cause: error });
}

/** Reads, parses and validates a profile file (JSON or YAML). Throws ProfileError. */
export async function loadProfile(file: string): Promise<VmProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw readProblem(file, error);
  }
  return validateProfile(parseProfileText(text, { source: file }), file);
}
