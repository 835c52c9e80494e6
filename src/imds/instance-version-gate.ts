// Version gating: prunes the profile's newest-version instance document to what a given api-version shows,
// using the field registry (imds-spec §3.4, §5.4–§5.6); results are cached per profile document and version.
import type { InstanceNode, InstanceTree } from '../config/vm-profile.ts';
import { INSTANCE_SCHEMA } from '../config/instance-field-registry.ts';
import type { FieldNode, ObjectField } from '../config/instance-field-registry.ts';

function pruneNode(node: InstanceNode, schema: FieldNode, version: string): InstanceNode | undefined {
  if (schema.since > version) return undefined;
  if (schema.kind === 'leaf') return typeof node === 'string' ? node : undefined;
  if (schema.kind === 'array') {
    if (!Array.isArray(node)) return undefined;
    return Object.freeze((node as readonly InstanceNode[]).map((item) => pruneObject(item, schema.items, version) ?? Object.freeze({})));
  }
  return pruneObject(node, schema, version);
}

function pruneObject(node: InstanceNode, schema: ObjectField, version: string): InstanceTree | undefined {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  const tree = node as InstanceTree;
  const out: Record<string, InstanceNode> = {};
  for (const [key, child] of schema.fields) {
    if (child.since > version || !Object.hasOwn(tree, key)) continue;
    const pruned = pruneNode(tree[key]!, child, version);
    if (pruned !== undefined) out[key] = pruned;
  }
  return Object.freeze(out);
}

/**
 * The instance document as api-version `version` shows it: fields introduced after `version` are removed
 * (objects whose every field is newer disappear too); keys unknown to the registry are dropped.
 */
export function pruneToVersion(instance: InstanceTree, version: string): InstanceTree {
  return pruneObject(instance, INSTANCE_SCHEMA, version) ?? Object.freeze({});
}

/**
 * The oldest version the registry describes (instance GA). The 2017-03-01 preview is served like it
 * (INF: the preview exposed the same document; an empty `{}` would help no client).
 */
export const INSTANCE_BASE_VERSION = '2017-04-02';

const cache = new WeakMap<object, Map<string, InstanceTree>>();

/** pruneToVersion (versions before INSTANCE_BASE_VERSION count as it), memoised per frozen document and version. */
export function instanceForVersion(instance: InstanceTree, requested: string): InstanceTree {
  const version = requested < INSTANCE_BASE_VERSION ? INSTANCE_BASE_VERSION : requested;
  let perVersion = cache.get(instance);
  if (!perVersion) {
    perVersion = new Map();
    cache.set(instance, perVersion);
  }
  let tree = perVersion.get(version);
  if (!tree) {
    tree = pruneToVersion(instance, version);
    perVersion.set(version, tree);
  }
  return tree;
}
