// Compact JSON with object keys in alphabetical order at every level, as IMDS emits it (imds-spec §2.9).

/** Serialises plain JSON data (strings, booleans, numbers, null, arrays, objects) compactly with sorted keys. */
export function toSortedCompactJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`not JSON data: ${typeof value}`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(toSortedCompactJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((key) => `${JSON.stringify(key)}:${toSortedCompactJson(record[key])}`).join(',')}}`;
}
