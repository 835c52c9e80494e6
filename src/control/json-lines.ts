// Newline-delimited JSON framing for the control socket: splits a byte stream into lines in linear time
// (each byte is looked at once; a partial line is kept as a list of chunks and joined once, when its
// newline arrives), with a size cap (a longer line is an error, not unbounded buffering).
import type { Writable } from 'node:stream';

export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export class LineSplitter {
  private readonly maxBytes: number;
  /** The partial line: chunks received since the last newline (joined only when the line completes). */
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(maxBytes = MAX_LINE_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Bytes of the line still waiting for its newline. */
  get pendingBytes(): number {
    return this.partialBytes;
  }

  /** Returns the complete lines in `chunk` (UTF-8, without "\n", "\r" trimmed, blank lines skipped); throws RangeError when a line is too long. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
      const tail = chunk.subarray(start, end);
      const length = this.partialBytes + tail.length;
      this.tooLong(length);
      const bytes = this.partial.length === 0 ? tail : Buffer.concat([...this.partial, tail], length);
      this.partial = [];
      this.partialBytes = 0;
      const line = bytes.toString('utf8');
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (trimmed.trim() !== '') lines.push(trimmed);
      start = end + 1;
    }
    if (start < chunk.length) {
      this.tooLong(this.partialBytes + chunk.length - start);
      this.partial.push(chunk.subarray(start));
      this.partialBytes += chunk.length - start;
    }
    return lines;
  }

  private tooLong(bytes: number): void {
    if (bytes > this.maxBytes) throw new RangeError(`a line is longer than ${this.maxBytes} bytes`);
  }
}

export function writeJsonLine(stream: Writable, value: unknown): boolean {
  if (stream.destroyed || !stream.writable) return false;
  return stream.write(`${JSON.stringify(value)}\n`);
}
