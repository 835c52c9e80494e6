// An in-memory pair of Links for stack tests: packets sent on one end arrive at the other, optionally
// after a latency and through seeded impairments; delivery is asynchronous (microtask, clock timer or manual flush()).
import { systemClock, type Clock } from '../util/clock.ts';
import { ImdsLabError } from '../util/errors.ts';
import { Impairer, isNoImpairment, validateImpairment, type ImpairmentOptions, type ImpairmentStats } from './impairment.ts';
import type { Link, PacketReceiver } from './link.ts';

export type MemoryLinkOptions = {
  /** MTU of both ends (default 1500); larger packets are dropped and counted as oversize. */
  mtu?: number;
  /** Clock for latency and reorder hold timers (default the system clock; FakeClock in simulations). */
  clock?: Clock;
  /** Delay before a packet arrives, through clock.setTimeout (default 0: next microtask). */
  latencyMs?: number;
  /** When true, packets wait until pair.flush() (deterministic single-stepping). */
  manual?: boolean;
  /** The same impairments for both directions, or per direction. */
  impairments?: ImpairmentOptions | { aToB?: ImpairmentOptions; bToA?: ImpairmentOptions };
};

export type MemoryLinkStats = {
  packetsOut: number;
  bytesOut: number;
  packetsIn: number;
  bytesIn: number;
  oversize: number;
  noReceiver: number;
  afterClose: number;
};

export interface MemoryLink extends Link {
  stats(): MemoryLinkStats;
  readonly closed: boolean;
}

export type MemoryLinkPair = {
  readonly a: MemoryLink;
  readonly b: MemoryLink;
  /** Delivers queued packets now, round by round (answers to a round form the next), up to maxRounds (default 1000); returns the count. */
  flush(maxRounds?: number): number;
  impairmentStats(): { aToB: ImpairmentStats | undefined; bToA: ImpairmentStats | undefined };
  /** Closes both ends and cancels pending timers. */
  close(): void;
};

function splitImpairments(options: MemoryLinkOptions['impairments']): { aToB?: ImpairmentOptions; bToA?: ImpairmentOptions } {
  if (!options) return {};
  if ('aToB' in options || 'bToA' in options) return options as { aToB?: ImpairmentOptions; bToA?: ImpairmentOptions };
  const both = options as ImpairmentOptions;
  // Different seeds per direction so the two directions are not mirror images.
  return { aToB: both, bToA: { ...both, seed: (both.seed ?? 1) + 1 } };
}

class MemoryEnd implements MemoryLink {
  readonly mtu: number;
  peer!: MemoryEnd;
  impairer: Impairer | undefined;
  private receiver: PacketReceiver | undefined;
  private isClosed = false;
  private readonly counters: MemoryLinkStats = { packetsOut: 0, bytesOut: 0, packetsIn: 0, bytesIn: 0, oversize: 0, noReceiver: 0, afterClose: 0 };
  private readonly transmit: (to: MemoryEnd, packet: Uint8Array) => void;

  constructor(mtu: number, transmit: (to: MemoryEnd, packet: Uint8Array) => void) {
    this.mtu = mtu;
    this.transmit = transmit;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(packets: readonly Uint8Array[]): void {
    for (const packet of packets) {
      if (this.isClosed) {
        this.counters.afterClose++;
        continue;
      }
      if (packet.length > this.mtu) {
        this.counters.oversize++;
        continue;
      }
      this.counters.packetsOut++;
      this.counters.bytesOut += packet.length;
      const copy = packet.slice(); // the sender may reuse its buffer
      if (this.impairer) this.impairer.push(copy);
      else this.transmit(this.peer, copy);
    }
  }

  setReceiver(receiver: PacketReceiver): void {
    this.receiver = receiver;
  }

  arrive(packet: Uint8Array): void {
    if (this.isClosed) {
      this.counters.afterClose++;
      return;
    }
    if (!this.receiver) {
      this.counters.noReceiver++;
      return;
    }
    this.counters.packetsIn++;
    this.counters.bytesIn += packet.length;
    this.receiver(packet);
  }

  stats(): MemoryLinkStats {
    return { ...this.counters };
  }

  close(): void {
    this.isClosed = true;
    this.receiver = undefined;
    this.impairer?.close();
  }
}

/** Creates two connected Links `a` and `b`. */
export function createMemoryLinkPair(options: MemoryLinkOptions = {}): MemoryLinkPair {
  const mtu = options.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new ImdsLabError('ERR_BAD_LINK_OPTION', `mtu must be an integer in 68..65535, got ${mtu}`);
  }
  const latency = options.latencyMs ?? 0;
  if (!(Number.isFinite(latency) && latency >= 0)) {
    throw new ImdsLabError('ERR_BAD_LINK_OPTION', `latencyMs must be a non-negative number, got ${latency}`);
  }
  const clock = options.clock ?? systemClock;
  const queue: { to: MemoryEnd; packet: Uint8Array }[] = [];
  const timers = new Set<ReturnType<Clock['setTimeout']>>();
  let microtaskPending = false;

  // One round delivers the packets queued when it starts; packets sent in response wait for the next round.
  const deliverRound = (): number => {
    const count = queue.length;
    for (let i = 0; i < count; i++) {
      const item = queue.shift()!;
      item.to.arrive(item.packet);
    }
    return count;
  };

  const scheduleMicrotask = (): void => {
    if (options.manual || microtaskPending) return;
    microtaskPending = true;
    queueMicrotask(() => {
      microtaskPending = false;
      deliverRound();
      if (queue.length > 0) scheduleMicrotask();
    });
  };

  const transmit = (to: MemoryEnd, packet: Uint8Array): void => {
    if (latency > 0) {
      const timer = clock.setTimeout(() => {
        timers.delete(timer);
        to.arrive(packet);
      }, latency);
      timers.add(timer);
      return;
    }
    queue.push({ to, packet });
    scheduleMicrotask();
  };

  const a = new MemoryEnd(mtu, transmit);
  const b = new MemoryEnd(mtu, transmit);
  a.peer = b;
  b.peer = a;
  const { aToB, bToA } = splitImpairments(options.impairments);
  if (aToB) validateImpairment(aToB);
  if (bToA) validateImpairment(bToA);
  if (aToB && !isNoImpairment(aToB)) a.impairer = new Impairer(aToB, (p) => transmit(b, p), clock);
  if (bToA && !isNoImpairment(bToA)) b.impairer = new Impairer(bToA, (p) => transmit(a, p), clock);

  return {
    a,
    b,
    flush(maxRounds = 1000) {
      let total = 0;
      for (let round = 0; round < maxRounds && queue.length > 0; round++) total += deliverRound();
      return total;
    },
    impairmentStats: () => ({ aToB: a.impairer?.stats(), bToA: b.impairer?.stats() }),
    close() {
      a.close();
      b.close();
      for (const timer of timers) clock.clearTimeout(timer);
      timers.clear();
      queue.length = 0;
    },
  };
}
