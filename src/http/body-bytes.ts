// Response bodies as bytes: a string body seen recently (the memoised instance document, a token answer
// within its second) is encoded once, not per request. Bounded: the cache is dropped when it fills.

const MAX_ENTRIES = 256;
/** Longer strings are encoded each time (no handler answers with one that repeats). */
const MAX_CACHED_LENGTH = 256 * 1024;
const cache = new Map<string, Buffer>();

/** The UTF-8 bytes of a body; the returned Buffer is shared and must not be modified. */
export function bodyBytes(body: string | Buffer): Buffer {
  if (typeof body !== 'string') return body;
  const known = cache.get(body);
  if (known !== undefined) return known;
  const bytes = Buffer.from(body, 'utf8');
  if (body.length <= MAX_CACHED_LENGTH) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(body, bytes);
  }
  return bytes;
}
