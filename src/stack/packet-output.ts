// The stack's outgoing side: IPv4 packets queued during one ingest batch or timer firing and handed to
// the link in ONE send() per microtask (the TUN addon turns that into batched write()s).
import type { Link } from '../link/link.ts';
import type { StackStats } from './stack-stats.ts';

export class PacketOutput {
  private readonly link: Link;
  private readonly stats: StackStats;
  private readonly flushBound = (): void => this.flush();
  private outgoing: Uint8Array[] = [];
  private flushScheduled = false;
  private ipId = 0;
  private closed = false;

  constructor(link: Link, stats: StackStats) {
    this.link = link;
    this.stats = stats;
  }

  /** Queues a built packet; call scheduleFlush() (or flush()) to send it. */
  push(packet: Uint8Array): void {
    this.outgoing.push(packet);
  }

  /** The next IPv4 Identification value (RFC 6864: any value for atomic datagrams; a counter here). */
  nextId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /** Sends the queue at the end of the current microtask, once however often it is asked. */
  scheduleFlush(): void {
    if (this.flushScheduled || this.outgoing.length === 0) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushBound);
  }

  /** Sends every queued packet in one batch. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.outgoing;
    if (batch.length === 0 || this.closed) return;
    this.outgoing = [];
    this.stats.packetsOut += batch.length;
    for (let i = 0; i < batch.length; i++) this.stats.bytesOut += batch[i]!.length;
    this.link.send(batch);
  }

  /** Flushes what is queued, then drops everything pushed later. */
  close(): void {
    this.flush();
    this.closed = true;
    this.outgoing = [];
  }
}
