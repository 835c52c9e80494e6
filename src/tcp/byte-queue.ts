// A FIFO of bytes in blocks (send and receive buffers): append copies in; peek/take return zero-copy
// views when the range sits in one block, else a copy.

const BLOCK = 16 * 1024;
/**
 * First block of an empty queue: small, since most connections carry one short request or response at a
 * time (a fresh zero-filled 16 KiB block per request showed up in profiles); later blocks double up to BLOCK.
 */
const FIRST_BLOCK = 2 * 1024;
const EMPTY = new Uint8Array(0);

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
        const size = tail ? Math.min(BLOCK, tail.length * 2) : FIRST_BLOCK;
        tail = new Uint8Array(Math.max(size, Math.min(data.length - pos, 1 << 20)));
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

  /**
   * `length` bytes starting `offset` bytes after the head (clamped to what is queued). A range inside one
   * block is returned as a zero-copy view (a block's filled bytes are never rewritten, so the view stays
   * valid after drop()); a range spanning blocks is copied. Callers must not write into the result.
   */
  peek(offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.size - offset));
    if (n === 0) return EMPTY;
    let skip = offset + this.headOffset;
    let i = 0;
    for (; ; i++) {
      const filled = this.filled(i);
      if (skip < filled) break;
      skip -= filled;
    }
    const first = this.blocks[i]!;
    if (skip + n <= this.filled(i)) return first.subarray(skip, skip + n);
    const out = new Uint8Array(n);
    let written = 0;
    for (; written < n; i++) {
      const take = Math.min(this.filled(i) - skip, n - written);
      out.set(this.blocks[i]!.subarray(skip, skip + take), written);
      written += take;
      skip = 0;
    }
    return out;
  }

  /** Bytes written into blocks[i]: the tail is filled up to tailFill, every other block completely. */
  private filled(i: number): number {
    return i === this.blocks.length - 1 ? this.tailFill : this.blocks[i]!.length;
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

  /** Removes and returns up to `length` bytes from the head (a view that stays valid; see peek). */
  take(length: number): Uint8Array {
    const out = this.peek(0, length);
    this.drop(out.length);
    return out;
  }
}
