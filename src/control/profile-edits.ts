// Runtime profile changes: tags (tags and tagsList kept consistent), user data, managed identities,
// the load balancer, or a whole new profile — each builds a new profile and validates it with the
// profile validator (validateProfile, src/config/load-profile.ts) before the daemon swaps it in.
import { validateProfile } from '../config/load-profile.ts';
import { ProfileError, formatProblem } from '../config/profile-error.ts';
import type { VmProfile } from '../config/vm-profile.ts';
import { ControlError, CONTROL_ERROR_CODES, fieldError } from './control-error.ts';
import { describeValue, isPlainObject } from '../util/field-reader.ts';
import { Params } from './params.ts';

/** A mutable deep copy of a (frozen) profile. */
type Draft = {
  instance: { compute: Record<string, unknown>; network: Record<string, unknown> };
  identity: { tenantId: string; systemAssigned: { clientId: string; objectId: string } | null; userAssigned: Record<string, string>[] };
  loadBalancer: unknown;
  [key: string]: unknown;
};

function draftOf(profile: VmProfile): Draft {
  return structuredClone(profile) as unknown as Draft;
}

/** Validates profile data with the config validator; problems become one ControlError naming the first field. */
export function checked(data: unknown, source: string): VmProfile {
  try {
    return validateProfile(data, source);
  } catch (error) {
    if (error instanceof ProfileError) {
      const first = error.problems[0];
      const list = error.problems.map(formatProblem).join('; ');
      throw new ControlError(CONTROL_ERROR_CODES.field, `${source}: the resulting profile is invalid: ${list}`, { field: first?.path ? `profile.${first.path}` : 'profile', cause: error });
    }
    throw error;
  }
}

export interface Tag {
  readonly name: string;
  readonly value: string;
}

/** `tags` as {name: value} (in key order) or [{name, value}]. */
export function readTags(value: unknown, field: string): Tag[] {
  const tags: Tag[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const p = new Params(item, `${field}[${i}]`).only(['name', 'value']);
      tags.push({ name: p.string('name'), value: p.string('value') });
    });
  } else if (isPlainObject(value)) {
    for (const [name, v] of Object.entries(value)) {
      if (typeof v !== 'string') throw fieldError(`${field}.${name}`, `must be a string, got ${describeValue(v)}`);
      tags.push({ name, value: v });
    }
  } else {
    throw fieldError(field, `must be an object {name: value} or an array [{name, value}], got ${describeValue(value)}`);
  }
  const seen = new Set<string>();
  tags.forEach((tag, i) => {
    const where = `${field}[${i}]`;
    if (tag.name === '') throw fieldError(`${where}.name`, 'must not be empty');
    if (/[:;]/.test(tag.name)) throw fieldError(`${where}.name`, `must not contain ":" or ";" (the tags string joins name:value;…), got ${JSON.stringify(tag.name)}`);
    if (tag.value.includes(';')) throw fieldError(`${where}.value`, `must not contain ";" (the tags string joins name:value;…)`);
    if (seen.has(tag.name.toLowerCase())) throw fieldError(`${where}.name`, `duplicate tag ${JSON.stringify(tag.name)} (tag names are case-insensitive)`);
    seen.add(tag.name.toLowerCase());
  });
  return tags;
}

/** Sets compute.tagsList and compute.tags ("name:value;…") together. */
export function withTags(profile: VmProfile, tags: readonly Tag[]): VmProfile {
  const draft = draftOf(profile);
  draft.instance.compute.tagsList = tags.map((t) => ({ name: t.name, value: t.value }));
  draft.instance.compute.tags = tags.map((t) => `${t.name}:${t.value}`).join(';');
  return checked(draft, 'tags.set');
}

/** Sets compute.userData: base64 as given, or text (UTF-8) encoded to base64. */
export function withUserData(profile: VmProfile, userData: string, encoding: 'base64' | 'text'): VmProfile {
  const draft = draftOf(profile);
  draft.instance.compute.userData = encoding === 'text' ? Buffer.from(userData, 'utf8').toString('base64') : userData;
  return checked(draft, 'userdata.set');
}

export const IDENTITY_TYPES = ['system', 'user'] as const;

/** Adds a system-assigned (clientId, objectId) or user-assigned (clientId, objectId, resourceId) identity. */
export function withIdentityAdded(profile: VmProfile, value: unknown, field = 'identity'): VmProfile {
  const p = new Params(value, field);
  const type = p.oneOf('type', IDENTITY_TYPES);
  const draft = draftOf(profile);
  if (type === 'system') {
    p.only(['type', 'clientId', 'objectId']);
    if (draft.identity.systemAssigned) throw new ControlError(CONTROL_ERROR_CODES.conflict, `${field}: the VM already has a system-assigned identity (remove it first)`, { field: p.field('type') });
    draft.identity.systemAssigned = { clientId: p.string('clientId'), objectId: p.string('objectId') };
  } else {
    p.only(['type', 'clientId', 'objectId', 'resourceId']);
    draft.identity.userAssigned.push({ clientId: p.string('clientId'), objectId: p.string('objectId'), resourceId: p.string('resourceId') });
  }
  return checked(draft, 'identity.add');
}

/** Removes the system-assigned identity ({type: "system"}) or the user-assigned one named by clientId, objectId or resourceId. */
export function withIdentityRemoved(profile: VmProfile, value: unknown, field = 'identity'): VmProfile {
  const p = new Params(value, field).only(['type', 'clientId', 'objectId', 'resourceId']);
  const draft = draftOf(profile);
  const selectors = (['clientId', 'objectId', 'resourceId'] as const).filter((k) => p.has(k));
  const type = p.has('type') ? p.oneOf('type', IDENTITY_TYPES) : undefined;
  if (type === 'system' && selectors.length === 0) {
    if (!draft.identity.systemAssigned) throw new ControlError(CONTROL_ERROR_CODES.notFound, `${field}: the VM has no system-assigned identity`, { field: p.field('type') });
    draft.identity.systemAssigned = null;
    return checked(draft, 'identity.remove');
  }
  if (selectors.length !== 1) throw fieldError(field, 'name exactly one of clientId, objectId, resourceId (or give type: "system" alone)');
  const key = selectors[0]!;
  const wanted = p.string(key).toLowerCase();
  const sys = draft.identity.systemAssigned;
  if (type !== 'user' && sys && key !== 'resourceId' && sys[key].toLowerCase() === wanted) {
    draft.identity.systemAssigned = null;
    return checked(draft, 'identity.remove');
  }
  const index = draft.identity.userAssigned.findIndex((u) => u[key]?.toLowerCase() === wanted);
  if (index < 0) throw new ControlError(CONTROL_ERROR_CODES.notFound, `${field}.${key}: no identity with ${key} ${p.string(key)}`, { field: p.field(key) });
  draft.identity.userAssigned.splice(index, 1);
  return checked(draft, 'identity.remove');
}

/** Replaces the load balancer document (null: no Standard LB, /metadata/loadbalancer answers 404). */
export function withLoadBalancer(profile: VmProfile, loadBalancer: unknown): VmProfile {
  const draft = draftOf(profile);
  draft.loadBalancer = loadBalancer;
  return checked(draft, 'loadbalancer.set');
}
