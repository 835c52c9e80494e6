// Bounded out-of-order reassembly of received bytes (RFC 9293 §3.10.7.4 seventh step): contiguous runs
// beyond RCV.NXT, duplicates/overlaps trimmed (bytes already held win), an out-of-order FIN remembered; at
// most maxSegments runs and maxBytes bytes, over a bound the highest runs are dropped (we never SACK).
import { add, ge, gt, le, lt, seqMax, seqMin, sub, type Seq } from './seq.ts';

interface Run {
  seq: Seq;
  length: number;
  chunks: Uint8Array[];
}

const FLATTEN_AT = 32;

export class Reassembly {
  private runs: Run[] = [];
  private bytes = 0;
  private finSeq: Seq | undefined;
  private readonly maxBytes: number;
  private readonly maxSegments: number;

  constructor(maxBytes: number, maxSegments: number) {
    this.maxBytes = maxBytes;
    this.maxSegments = maxSegments;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  /** Number of disjoint runs held (each one is preceded by a hole). */
  get runCount(): number {
    return this.runs.length;
  }

  get isEmpty(): boolean {
    return this.runs.length === 0 && this.finSeq === undefined;
  }

  /**
   * Stores a copy of `data` at `seq` (the caller trims it to the receive window, beyond RCV.NXT).
   * Returns the number of new bytes kept (0 for a full duplicate or when dropped by the bounds).
   */
  insert(seq: Seq, data: Uint8Array): number {
    if (data.length === 0 || this.maxSegments === 0 || this.maxBytes === 0) return 0;
    let start = seq;
    let rest = data;
    const pieces: Run[] = [];
    for (const run of this.runs) {
      if (rest.length === 0) break;
      const runEnd = add(run.seq, run.length);
      const end = add(start, rest.length);
      if (le(end, run.seq)) break;
      if (ge(start, runEnd)) continue;
      if (lt(start, run.seq)) {
        const head = rest.subarray(0, sub(run.seq, start));
        pieces.push({ seq: start, length: head.length, chunks: [head.slice()] });
      }
      if (gt(end, runEnd)) {
        rest = rest.subarray(sub(runEnd, start));
        start = runEnd;
      } else {
        rest = rest.subarray(rest.length);
      }
    }
    if (rest.length > 0) pieces.push({ seq: start, length: rest.length, chunks: [rest.slice()] });
    let kept = 0;
    const fresh = pieces.map((piece) => ({ seq: piece.seq, end: add(piece.seq, piece.length) })); // merge() grows runs in place
    for (const piece of pieces) {
      let index = this.runs.findIndex((run) => gt(run.seq, piece.seq));
      if (index < 0) index = this.runs.length;
      this.runs.splice(index, 0, piece);
      this.bytes += piece.length;
      kept += piece.length;
    }
    this.merge();
    while (this.runs.length > this.maxSegments || this.bytes > this.maxBytes) {
      const last = this.runs.pop()!;
      this.bytes -= last.length;
      // Only the new bytes inside the dropped run are lost (the run may be older data, or merged with it).
      const lastEnd = add(last.seq, last.length);
      for (const range of fresh) {
        const from = seqMax(range.seq, last.seq);
        const to = seqMin(range.end, lastEnd);
        if (lt(from, to)) kept -= sub(to, from);
      }
    }
    return kept;
  }

  /** Records the sequence number of a FIN seen out of order. */
  setFin(seq: Seq): void {
    this.finSeq = seq;
  }

  /**
   * Removes the bytes now in order at `rcvNxt`; runs wholly before it are discarded, a run straddling
   * it is trimmed. Returns the chunks in order and whether the recorded FIN is now in order.
   */
  drain(rcvNxt: Seq): { chunks: Uint8Array[]; fin: boolean } {
    const chunks: Uint8Array[] = [];
    let next = rcvNxt;
    while (this.runs.length > 0) {
      const first = this.runs[0]!;
      if (gt(first.seq, next)) break;
      this.runs.shift();
      this.bytes -= first.length;
      const end = add(first.seq, first.length);
      if (le(end, next)) continue;
      let skip = sub(next, first.seq);
      for (const chunk of first.chunks) {
        if (skip >= chunk.length) {
          skip -= chunk.length;
          continue;
        }
        chunks.push(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      }
      next = end;
    }
    const fin = this.finSeq !== undefined && this.finSeq === next;
    if (fin) this.finSeq = undefined;
    return { chunks, fin };
  }

  clear(): void {
    this.runs = [];
    this.bytes = 0;
    this.finSeq = undefined;
  }

  private merge(): void {
    const merged: Run[] = [];
    for (const run of this.runs) {
      const previous = merged[merged.length - 1];
      if (previous && add(previous.seq, previous.length) === run.seq) {
        previous.chunks.push(...run.chunks);
        previous.length += run.length;
        if (previous.chunks.length > FLATTEN_AT) previous.chunks = [flatten(previous.chunks, previous.length)];
      } else {
        merged.push(run);
      }
    }
    this.runs = merged;
  }
}

function flatten(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
