// Seeded packet impairment (loss, duplication, reordering, corruption) shared by the memory link and the relay.
// Decisions per packet, in order: loss, corruption (one flipped bit past the IPv4 header), duplication, reordering.
import type { Clock, TimerId } from '../util/clock.ts';
import { ImdsLabError } from '../util/errors.ts';
import { seededRandom, type Random } from '../util/seeded-random.ts';

export type ImpairmentOptions = {
  /** Probability in [0, 1] that a packet is dropped. */
  loss?: number;
  /** Probability in [0, 1] that a packet is delivered twice. */
  duplicate?: number;
  /** Probability in [0, 1] that a packet is held back and delivered after the next one. */
  reorder?: number;
  /** Probability in [0, 1] that one bit of the packet is flipped (past the first 20 bytes when it is longer). */
  corrupt?: number;
  /** Seed of the random sequence (default 1). */
  seed?: number;
  /** Longest time a reordered packet waits for a successor before it is released anyway (default 10 ms). */
  reorderHoldMs?: number;
};

export type ImpairmentStats = {
  packets: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  /** Packets held back for reordering and not yet delivered (0 or 1): delivered + held = packets - dropped + duplicated. */
  held: number;
};

export class ImpairmentError extends ImdsLabError {}

const PROBABILITIES = ['loss', 'duplicate', 'reorder', 'corrupt'] as const;

/** Throws ImpairmentError naming the field when an option is out of range. */
export function validateImpairment(options: ImpairmentOptions): void {
  for (const field of PROBABILITIES) {
    const value = options[field];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) {
      throw new ImpairmentError('ERR_BAD_IMPAIRMENT', `impairment.${field} must be a probability in [0, 1], got ${String(value)}`);
    }
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new ImpairmentError('ERR_BAD_IMPAIRMENT', `impairment.seed must be an integer, got ${String(options.seed)}`);
  }
  const hold = options.reorderHoldMs;
  if (hold !== undefined && !(Number.isFinite(hold) && hold >= 0)) {
    throw new ImpairmentError('ERR_BAD_IMPAIRMENT', `impairment.reorderHoldMs must be a non-negative number, got ${String(hold)}`);
  }
}

/** True when the options impair nothing (the caller can skip the Impairer). */
export function isNoImpairment(options: ImpairmentOptions): boolean {
  return PROBABILITIES.every((field) => !options[field]);
}

/**
 * Applies seeded impairments to a packet stream. push() takes ownership of the packet (pass a copy);
 * emit receives packets in their (possibly changed) order.
 */
export class Impairer {
  private readonly random: Random;
  private readonly options: Required<Omit<ImpairmentOptions, 'seed'>>;
  private readonly emit: (packet: Uint8Array) => void;
  private readonly clock: Clock;
  private held: Uint8Array | undefined;
  private holdTimer: TimerId | undefined;
  private readonly counters: Omit<ImpairmentStats, 'held'> = { packets: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0, corrupted: 0 };

  constructor(options: ImpairmentOptions, emit: (packet: Uint8Array) => void, clock: Clock) {
    validateImpairment(options);
    this.random = seededRandom(options.seed ?? 1);
    this.options = {
      loss: options.loss ?? 0,
      duplicate: options.duplicate ?? 0,
      reorder: options.reorder ?? 0,
      corrupt: options.corrupt ?? 0,
      reorderHoldMs: options.reorderHoldMs ?? 10,
    };
    this.emit = emit;
    this.clock = clock;
  }

  push(packet: Uint8Array): void {
    const o = this.options;
    this.counters.packets++;
    // Draw every decision for every packet so one knob does not shift the others' sequences.
    const lose = this.random() < o.loss;
    const corrupt = this.random() < o.corrupt;
    const duplicate = this.random() < o.duplicate;
    const reorder = this.random() < o.reorder;
    const bitDraw = this.random();
    if (lose) {
      this.counters.dropped++;
      return;
    }
    if (corrupt && packet.length > 0) {
      const start = packet.length > 20 ? 20 : 0;
      const bit = Math.floor(bitDraw * (packet.length - start) * 8);
      packet[start + (bit >> 3)]! ^= 1 << (bit & 7);
      this.counters.corrupted++;
    }
    const copies = duplicate ? [packet, packet.slice()] : [packet];
    if (duplicate) this.counters.duplicated++;
    if (reorder && this.held === undefined) {
      this.counters.reordered++;
      this.held = copies[0];
      this.holdTimer = this.clock.setTimeout(() => this.flush(), o.reorderHoldMs);
      for (let i = 1; i < copies.length; i++) this.out(copies[i]!);
      return;
    }
    for (const copy of copies) this.out(copy);
    this.flush();
  }

  /** Releases a held (reordered) packet now. */
  flush(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    if (this.holdTimer) this.clock.clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.out(held);
  }

  /** Drops a held packet and cancels its timer. */
  close(): void {
    if (this.holdTimer) this.clock.clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.held = undefined;
  }

  stats(): ImpairmentStats {
    return { ...this.counters, held: this.held === undefined ? 0 : 1 };
  }

  private out(packet: Uint8Array): void {
    this.counters.delivered++;
    this.emit(packet);
  }
}
