// A FIFO of bytes in blocks (send and receive buffers): append copies in, peek/take copy out.

const BLOCK = 16 * 1024;

export class ByteQueue {
  private blocks: Uint8Array[] = [];
  /** Bytes already consumed from blocks[0]. */
  private headOffset = 0;
  /** Bytes filled in the last block. */
  private tailFill = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** Appends a copy of `data`. */
  append(data: Uint8Array): void {
    let pos = 0;
    while (pos < data.length) {
      let tail = this.blocks[this.blocks.length - 1];
      if (!tail || this.tailFill === tail.length) {
        tail = new Uint8Array(Math.max(BLOCK, Math.min(data.length - pos, 1 << 20)));
        this.blocks.push(tail);
        this.tailFill = 0;
      }
      const n = Math.min(tail.length - this.tailFill, data.length - pos);
      tail.set(data.subarray(pos, pos + n), this.tailFill);
      this.tailFill += n;
      pos += n;
    }
    this.size += data.length;
  }

  /** A copy of `length` bytes starting `offset` bytes after the head (clamped to what is queued). */
  peek(offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const out = new Uint8Array(n);
    let skip = offset + this.headOffset;
    let written = 0;
    for (let i = 0; i < this.blocks.length && written < n; i++) {
      const block = this.blocks[i]!;
      const filled = i === this.blocks.length - 1 ? this.tailFill : block.length;
      if (skip >= filled) {
        skip -= filled;
        continue;
      }
      const take = Math.min(filled - skip, n - written);
      out.set(block.subarray(skip, skip + take), written);
      written += take;
      skip = 0;
    }
    return out;
  }

  /** Discards up to `length` bytes from the head. */
  drop(length: number): void {
    let remaining = Math.min(length, this.size);
    this.size -= remaining;
    while (remaining > 0) {
      const block = this.blocks[0]!;
      const filled = this.blocks.length === 1 ? this.tailFill : block.length;
      const available = filled - this.headOffset;
      if (remaining < available) {
        this.headOffset += remaining;
        return;
      }
      remaining -= available;
      this.blocks.shift();
      this.headOffset = 0;
      if (this.blocks.length === 0) this.tailFill = 0;
    }
    if (this.size === 0) {
      this.blocks = [];
      this.headOffset = 0;
      this.tailFill = 0;
    }
  }

  /** Removes and returns up to `length` bytes from the head. */
  take(length: number): Uint8Array {
    const out = this.peek(0, length);
    this.drop(out.length);
    return out;
  }
}
