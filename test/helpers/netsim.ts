// Test support: deterministic network simulation (smoltcp tests/netsim.rs style), used by src/tcp/netsim.test.ts: a
// client Tcb and a server Tcb (from a TcpListener) exchange real IPv4+TCP bytes over an in-memory channel
// through the product's seeded Impairer (src/link/impairment.ts: loss, corruption, duplication, reordering),
// then a one-way delay with jitter; both apps stream data, then close.
import { Impairer } from '../../src/link/impairment.ts';
import type { Clock, TimerId } from '../../src/util/clock.ts';
import { seededRandom, type Random } from '../../src/util/seeded-random.ts';
import { buildTcpPacket, parseTcpPacket } from '../../src/wire/packet.ts';
import { TcpFlags, type TcpSegment } from '../../src/wire/tcp-segment.ts';
import { isWireError } from '../../src/wire/wire-error.ts';
import { createIsnSource, sipHashKeyedHash } from '../../src/tcp/isn.ts';
import { Tcb } from '../../src/tcp/tcb.ts';
import { resolveTcpConfig, type TcpConfig } from '../../src/tcp/tcp-config.ts';
import { TcpListener } from '../../src/tcp/tcp-listener.ts';
import type { TcpCloseReason, TcpEndpoints } from '../../src/tcp/tcb-types.ts';

export interface Impairment {
  readonly loss: number;
  readonly duplicate: number;
  /**
   * Probability a packet is held back by the Impairer until the next packet in its direction overtakes it,
   * or at most `reorderMs` when none follows.
   */
  readonly reorder: number;
  readonly reorderMs: number;
  /** One-way base delay and uniform jitter (applied after the Impairer; jitter reorders too). */
  readonly delayMs: number;
  readonly jitterMs: number;
  /** Probability one random bit past the IPv4 header is flipped (the receiver's TCP checksum check must drop it). */
  readonly corrupt?: number;
}

/** The simulation's virtual clock as a Clock, so the Impairer's reorder-hold timers are events of the simulation. */
class SimClock implements Clock {
  current = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  now(): number {
    return this.current;
  }

  wallTime(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerId {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), callback });
    return { id };
  }

  clearTimeout(timer: TimerId): void {
    this.timers.delete(timer.id);
  }

  /** The earliest pending deadline (timers are few: at most one hold per direction). */
  nextAt(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const timer of this.timers.values()) at = Math.min(at, timer.at);
    return at;
  }

  /** Fires the timers due by now, in id order (the order they were set). */
  fireDue(): void {
    for (const [id, timer] of [...this.timers]) {
      if (timer.at > this.current) continue;
      this.timers.delete(id);
      timer.callback();
    }
  }
}

export interface SimOptions {
  readonly seed: number;
  readonly impairment: Impairment;
  readonly clientToServer: number;
  readonly serverToClient: number;
  readonly config?: Partial<TcpConfig>;
  /** If set, each side's app reads at most this many bytes every `readEveryMs` (slow reader). */
  readonly readChunk?: number;
  readonly readEveryMs?: number;
  /** Client ISS (default from the seed); e.g. 0xffffff00 to cross the wrap. */
  readonly clientIss?: number;
  /**
   * 'close-after-eof': the server app never half-closes; once it has written everything and seen EOF it
   * calls close() (as node:http's destroy does), so its FIN follows the client's.
   */
  readonly serverClose?: 'shutdown' | 'close-after-eof';
  /** Give up after this much simulated time. */
  readonly limitMs: number;
  /** Diagnosis: told of every state change, segment sent and segment reaching the listener, with the simulated time. */
  readonly trace?: (at: number, event: string) => void;
}

export interface SimResult {
  readonly finishedAt: number;
  readonly clientReceived: Uint8Array;
  readonly serverReceived: Uint8Array;
  readonly clientClosed: TcpCloseReason | undefined;
  readonly serverClosed: TcpCloseReason | undefined;
  readonly segments: number;
  readonly retransmits: number;
  /** Segments (other than RSTs) sent advertising a zero window, and zero-window probes sent (both sides). */
  readonly zeroWindowAdverts: number;
  readonly zeroWindowProbes: number;
  /** Reads that sent a window update reopening a zero window (RCV.WND was 0, is > 0 after), both sides. */
  readonly windowUpdates: number;
  /** Packets the receiving side's parser rejected (corruption caught by the IPv4/TCP checksums). */
  readonly rejectedPackets: number;
  /** Segments that reached the server's listener after its connection had closed (it RSTs ACKs). */
  readonly afterCloseSegments: number;
}

export function pattern(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = salt >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const FLAG_LETTERS: [number, string][] = [[TcpFlags.SYN, 'S'], [TcpFlags.FIN, 'F'], [TcpFlags.RST, 'R'], [TcpFlags.ACK, 'A']];

function describe(seg: TcpSegment): string {
  const flags = FLAG_LETTERS.filter(([bit]) => (seg.flags & bit) !== 0).map(([, letter]) => letter).join('');
  return `${flags} seq=${seg.seq} ack=${seg.ack} len=${seg.payload.length}`;
}

interface InFlight {
  at: number;
  order: number;
  toServer: boolean;
  /** The whole IPv4 packet as it would cross the link. */
  packet: Uint8Array;
}

const CLIENT_ADDRESS = 0x0a000004;
const SERVER_ADDRESS = 0xa9fea9fe;

class Endpoint {
  tcb: Tcb | undefined;
  readonly received: Uint8Array[] = [];
  receivedLength = 0;
  sent = 0;
  readonly data: Uint8Array;
  closed: TcpCloseReason | undefined;
  eof = false;
  shutdown = false;
  nextReadAt = 0;
  readonly closeAfterEof: boolean;

  constructor(data: Uint8Array, closeAfterEof = false) {
    this.data = data;
    this.closeAfterEof = closeAfterEof;
  }
}

export function runSimulation(options: SimOptions): SimResult {
  const random: Random = seededRandom(options.seed);
  const trace = options.trace;
  // The product's MSL (30 s: TIME-WAIT 60 s, as Linux). A shorter one is unrealistic: TIME-WAIT must outlast the
  // peer's retransmission gaps (RTO backoff), or a late retransmitted FIN meets the listener (RST, ECONNRESET)
  // or a closed port (the peer's FIN goes unanswered until ETIMEDOUT); 2 s did that in ~1% of heavy runs.
  const config = resolveTcpConfig(options.config);
  const imp = options.impairment;
  const clientEndpoints: TcpEndpoints = {
    localAddress: CLIENT_ADDRESS,
    localPort: 40000 + (options.seed % 20000),
    remoteAddress: SERVER_ADDRESS,
    remotePort: 80,
  };
  const listener = new TcpListener({
    localAddress: SERVER_ADDRESS,
    localPort: 80,
    isn: createIsnSource(sipHashKeyedHash(pattern(16, options.seed))),
    config,
    ...(trace ? { onStateChange: (_tcb: Tcb, from: string, to: string) => trace(now, `server ${from} -> ${to}`) } : {}),
  });
  const client = new Endpoint(pattern(options.clientToServer, options.seed * 2 + 1));
  const server = new Endpoint(pattern(options.serverToClient, options.seed * 2 + 2), options.serverClose === 'close-after-eof');
  let now = 0;
  let order = 0;
  let segments = 0;
  let zeroWindowAdverts = 0;
  let windowUpdates = 0;
  let rejectedPackets = 0;
  let afterCloseSegments = 0;
  const wire: InFlight[] = [];

  const clock = new SimClock();
  /** After the Impairer: the one-way delay plus jitter, drawn from the simulation's own sequence. */
  const delayLine = (toServer: boolean) => (packet: Uint8Array): void => {
    wire.push({ at: now + imp.delayMs + random() * imp.jitterMs, order: order++, toServer, packet });
  };
  const impairment = { loss: imp.loss, duplicate: imp.duplicate, reorder: imp.reorder, corrupt: imp.corrupt ?? 0, reorderHoldMs: imp.reorderMs };
  const impairers = {
    toServer: new Impairer({ ...impairment, seed: options.seed * 2 + 1 }, delayLine(true), clock),
    toClient: new Impairer({ ...impairment, seed: options.seed * 2 + 2 }, delayLine(false), clock),
  };

  const transmit = (seg: TcpSegment, toServer: boolean): void => {
    segments++;
    trace?.(now, `${toServer ? 'client' : 'server'} sends ${describe(seg)}`);
    if (seg.window === 0 && (seg.flags & TcpFlags.RST) === 0) zeroWindowAdverts++;
    // Encoding checks every field the Tcb produced (writeTcp throws on out-of-range values).
    const packet = buildTcpPacket(toServer ? { src: CLIENT_ADDRESS, dst: SERVER_ADDRESS } : { src: SERVER_ADDRESS, dst: CLIENT_ADDRESS }, seg);
    (toServer ? impairers.toServer : impairers.toClient).push(packet);
  };
  /** Decodes a delivered packet; a corrupted one fails its checksum and is counted and dropped. */
  const receive = (bytes: Uint8Array): TcpSegment | undefined => {
    try {
      return parseTcpPacket(bytes).tcp;
    } catch (error) {
      if (!isWireError(error)) throw error;
      rejectedPackets++;
      return undefined;
    }
  };
  const readAll = (end: Endpoint): void => {
    const tcb = end.tcb;
    if (!tcb) return;
    for (;;) {
      if (options.readChunk !== undefined) {
        if (now < end.nextReadAt) return;
      }
      const closedWindow = tcb.vars.rcvWnd === 0 && !tcb.hasOutgoing;
      const chunk = tcb.read(options.readChunk, now);
      if (!chunk) break;
      if (closedWindow && tcb.hasOutgoing && tcb.vars.rcvWnd > 0) windowUpdates++;
      end.received.push(chunk);
      end.receivedLength += chunk.length;
      if (options.readChunk !== undefined) {
        end.nextReadAt = now + (options.readEveryMs ?? 10);
        return;
      }
    }
  };
  const pump = (end: Endpoint): void => {
    const tcb = end.tcb;
    if (!tcb || tcb.closeReason !== undefined) return;
    const state = tcb.state;
    if (state === 'SYN-SENT' || state === 'SYN-RECEIVED') return;
    while (end.sent < end.data.length && tcb.writableSpace > 0) {
      end.sent += tcb.write(end.data.subarray(end.sent, end.sent + 64 * 1024), now);
    }
    if (end.sent === end.data.length && !end.shutdown && (!end.closeAfterEof || end.eof)) {
      end.shutdown = true;
      if (end.closeAfterEof) tcb.close(now);
      else tcb.shutdownWrite(now);
    }
  };
  const attach = (end: Endpoint): void => {
    end.tcb!.setHandler({
      established: () => pump(end),
      readable: () => readAll(end),
      writable: () => pump(end),
      peerFin: () => {
        end.eof = true;
        if (end.closeAfterEof) pump(end);
      },
      closed: (reason) => {
        end.closed = reason;
      },
    });
  };
  const flush = (): void => {
    for (const seg of client.tcb?.takeOutgoing() ?? []) transmit(seg, true);
    for (const seg of server.tcb?.takeOutgoing() ?? []) transmit(seg, false);
  };

  client.tcb = Tcb.connect({
    endpoints: clientEndpoints,
    iss: options.clientIss ?? Math.floor(random() * 2 ** 32),
    now,
    config,
    ...(trace ? { onStateChange: (_tcb: Tcb, from: string, to: string) => trace(now, `client ${from} -> ${to}`) } : {}),
  });
  attach(client);
  flush();

  for (let steps = 0; steps < 5_000_000; steps++) {
    if (client.closed !== undefined && (server.closed !== undefined || server.tcb === undefined && now > 0)) break;
    let next = Number.POSITIVE_INFINITY;
    for (const end of [client, server]) {
      const at = end.tcb?.pollAt();
      if (at !== undefined) next = Math.min(next, at);
      if (options.readChunk !== undefined && end.tcb && end.tcb.readableLength > 0) next = Math.min(next, Math.max(now, end.nextReadAt));
    }
    next = Math.min(next, clock.nextAt());
    let packetIndex = -1;
    for (let i = 0; i < wire.length; i++) {
      const p = wire[i]!;
      const best = packetIndex >= 0 ? wire[packetIndex]! : undefined;
      if (best ? p.at < best.at || (p.at === best.at && p.order < best.order) : p.at <= next) packetIndex = i;
    }
    if (packetIndex >= 0 && wire[packetIndex]!.at <= next) next = wire[packetIndex]!.at;
    else packetIndex = -1;
    if (next === Number.POSITIVE_INFINITY || next > options.limitMs) break;
    now = Math.max(now, next);
    clock.current = now;
    clock.fireDue();
    const delivered = packetIndex >= 0 ? wire.splice(packetIndex, 1)[0]! : undefined;
    const seg = delivered ? receive(delivered.packet) : undefined;
    if (delivered && seg) {
      if (delivered.toServer) {
        let toListener = server.tcb === undefined;
        if (server.tcb && server.tcb.closeReason === undefined) {
          if (server.tcb.handleSegment(seg, now) === 'reuse') {
            server.tcb = undefined;
            toListener = true;
          }
        } else if (server.tcb) {
          // As in the stack: once the connection is gone, its port's listener answers (RST for an ACK).
          toListener = true;
          afterCloseSegments++;
        }
        if (toListener) {
          trace?.(now, `listener gets ${describe(seg)}`);
          const verdict = listener.handleSegment(seg, CLIENT_ADDRESS, now);
          if (verdict.kind === 'accepted' && server.tcb === undefined) {
            server.tcb = verdict.tcb;
            attach(server);
          } else if (verdict.kind === 'reply') {
            transmit(verdict.segment, false);
          }
          // A stale duplicate SYN accepted after the connection ended opens a stray half-open Tcb
          // here; this simulation drives one connection, so the stray is left unanswered.
        }
      } else if (client.tcb && client.tcb.closeReason === undefined) {
        client.tcb.handleSegment(seg, now);
      }
    }
    for (const end of [client, server]) {
      const tcb = end.tcb;
      if (!tcb) continue;
      const at = tcb.pollAt();
      if (at !== undefined && at <= now) tcb.onTimer(now);
      if (options.readChunk !== undefined) readAll(end);
    }
    flush();
  }
  const join = (end: Endpoint): Uint8Array => {
    const out = new Uint8Array(end.receivedLength);
    let offset = 0;
    for (const chunk of end.received) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  };
  return {
    finishedAt: now,
    clientReceived: join(client),
    serverReceived: join(server),
    clientClosed: client.closed,
    serverClosed: server.closed,
    segments,
    retransmits: (client.tcb?.stats.retransmits ?? 0) + (server.tcb?.stats.retransmits ?? 0),
    zeroWindowAdverts,
    windowUpdates,
    zeroWindowProbes: (client.tcb?.stats.zeroWindowProbes ?? 0) + (server.tcb?.stats.zeroWindowProbes ?? 0),
    rejectedPackets,
    afterCloseSegments,
  };
}
