// Newline-delimited JSON framing for the control socket: splits a byte stream into lines with a size cap
// (a line over the cap is an error, not unbounded buffering) and writes one JSON value per line.
import { StringDecoder } from 'node:string_decoder';
import type { Writable } from 'node:stream';

export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private readonly maxChars: number;

  constructor(maxBytes = MAX_LINE_BYTES) {
    this.maxChars = maxBytes;
  }

  /** Returns the complete lines in `chunk` (without "\n", "\r" trimmed); throws RangeError when a line is too long. */
  push(chunk: Buffer): string[] {
    const text = this.partial + this.decoder.write(chunk);
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > this.maxChars) throw new RangeError(`a line is longer than ${this.maxChars} bytes`);
    return parts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)).filter((line) => line.trim() !== '');
  }
}

export function writeJsonLine(stream: Writable, value: unknown): boolean {
  if (stream.destroyed || !stream.writable) return false;
  return stream.write(`${JSON.stringify(value)}\n`);
}
