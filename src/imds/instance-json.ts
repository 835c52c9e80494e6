// Compact JSON with object keys in alphabetical order at every level, as IMDS emits it (imds-spec §2.9);
// serialisations of frozen objects and arrays are memoised (the version-pruned trees are frozen and cached).

const memo = new WeakMap<object, string>();

/**
 * Serialises plain JSON data (strings, booleans, numbers, null, arrays, objects) compactly with sorted keys.
 * A frozen object or array is assumed to be deep-frozen (its text is memoised by identity).
 */
export function toSortedCompactJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`not JSON data: ${typeof value}`);
    return text;
  }
  const frozen = Object.isFrozen(value);
  if (frozen) {
    const known = memo.get(value);
    if (known !== undefined) return known;
  }
  let text: string;
  if (Array.isArray(value)) {
    text = `[${value.map(toSortedCompactJson).join(',')}]`;
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    text = `{${keys.map((key) => `${JSON.stringify(key)}:${toSortedCompactJson(record[key])}`).join(',')}}`;
  }
  if (frozen) memo.set(value, text);
  return text;
}
