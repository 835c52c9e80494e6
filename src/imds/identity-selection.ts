// Which managed identity a token request means (imds-spec §7.1, §7.3): the client_id / object_id /
// msi_res_id / mi_res_id selectors, the system-assigned default, and the captured errors.
import type { IdentityProfile, InstanceTree } from '../config/vm-profile.ts';
import { identityError } from './identity-errors.ts';

/** Query variables that pick an identity; mi_res_id is an alias of msi_res_id (both observed by IMDS). */
export const IDENTITY_SELECTORS = ['client_id', 'object_id', 'msi_res_id', 'mi_res_id'] as const;
export type IdentitySelector = (typeof IDENTITY_SELECTORS)[number];

export interface ManagedIdentity {
  readonly kind: 'system' | 'user';
  readonly clientId: string;
  readonly objectId: string;
  /** The token's xms_mirid: the VM's resource id (system-assigned) or the identity's resource id (user-assigned). */
  readonly miResourceId: string;
}

function text(tree: InstanceTree, key: string): string {
  const value = tree[key];
  return typeof value === 'string' ? value : '';
}

/** compute.resourceId, or one built from subscriptionId / resourceGroupName / name when that is empty. */
export function vmResourceId(compute: InstanceTree): string {
  const id = text(compute, 'resourceId');
  if (id) return id;
  return `/subscriptions/${text(compute, 'subscriptionId')}/resourceGroups/${text(compute, 'resourceGroupName')}/providers/Microsoft.Compute/virtualMachines/${text(compute, 'name')}`;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Resolves the identity for a request. Selector values compare case-insensitively (GUIDs and ARM ids are
 * case-insensitive); an empty value counts as absent. client_id / object_id may name the system-assigned
 * identity too; msi_res_id / mi_res_id name user-assigned identities only. Throws the identity-style 400s.
 */
interface Candidates {
  readonly system: ManagedIdentity | null;
  readonly users: readonly ManagedIdentity[];
}

/** The identities of a deep-frozen profile, built once per identity section and compute tree (not per token request). */
const known = new WeakMap<IdentityProfile, { readonly compute: InstanceTree; readonly candidates: Candidates }>();

function candidatesOf(identity: IdentityProfile, compute: InstanceTree): Candidates {
  const memo = known.get(identity);
  if (memo !== undefined && memo.compute === compute) return memo.candidates;
  const system = identity.systemAssigned
    ? ({ kind: 'system', clientId: identity.systemAssigned.clientId, objectId: identity.systemAssigned.objectId, miResourceId: vmResourceId(compute) } as const)
    : null;
  const users = identity.userAssigned.map(
    (u) => ({ kind: 'user', clientId: u.clientId, objectId: u.objectId, miResourceId: u.resourceId }) as const,
  );
  const candidates: Candidates = Object.freeze({ system: system && Object.freeze(system), users: Object.freeze(users.map((u) => Object.freeze(u))) });
  const frozen = Object.isFrozen(identity) && Object.isFrozen(identity.userAssigned) && Object.isFrozen(compute) && (identity.systemAssigned === null || Object.isFrozen(identity.systemAssigned));
  if (frozen) known.set(identity, { compute, candidates });
  return candidates;
}

export function selectIdentity(query: ReadonlyMap<string, string>, identity: IdentityProfile, compute: InstanceTree): ManagedIdentity {
  let selector: IdentitySelector | undefined;
  for (const name of IDENTITY_SELECTORS) {
    if ((query.get(name) ?? '') === '') continue;
    if (selector !== undefined) throw identityError('conflictingSelectors');
    selector = name;
  }
  const { system, users } = candidatesOf(identity, compute);
  if (selector === undefined) {
    if (system) return system;
    if (users.length === 1) return users[0]!;
    throw identityError(users.length > 1 ? 'multipleUserAssigned' : 'identityNotFound');
  }
  const value = query.get(selector)!;
  const candidates: readonly ManagedIdentity[] = selector === 'client_id' || selector === 'object_id' ? [...(system ? [system] : []), ...users] : users;
  const found = candidates.find((c) =>
    selector === 'client_id' ? same(c.clientId, value) : selector === 'object_id' ? same(c.objectId, value) : same(c.miResourceId, value),
  );
  if (!found) throw identityError('identityNotFound');
  return found;
}
