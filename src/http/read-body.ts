// Reads a request body up to a limit. Above the limit it stops collecting and reports tooLarge at once
// (the server answers 400 and closes the connection; the rest of the body is discarded).
import type { IncomingMessage } from 'node:http';

export interface BodyResult {
  readonly body: Buffer;
  readonly tooLarge: boolean;
}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
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
