// Reads a request body up to a limit. Above the limit it stops collecting and reports tooLarge at once
// (the server answers 400 and closes the connection; the rest of the body is discarded).
import type { IncomingMessage } from 'node:http';

export interface BodyResult {
  readonly body: Buffer;
  readonly tooLarge: boolean;
}

const NO_BODY: BodyResult = Object.freeze({ body: Buffer.alloc(0), tooLarge: false });

/**
 * A request without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3 rule 7 for requests), nor
 * one with `Content-Length: 0`: answered at once, with no stream listeners (the common GET).
 */
function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/** The body; synchronous when the request has none (no promise, no microtask). */
export function readBody(req: IncomingMessage, maxBytes: number): BodyResult | Promise<BodyResult> {
  if (hasNoBody(req)) return NO_BODY;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        finish({ body: Buffer.alloc(0), tooLarge: true });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish({ body: Buffer.concat(chunks), tooLarge: false }));
    req.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}
