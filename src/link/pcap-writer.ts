// Classic pcap capture (LINKTYPE_RAW, microsecond timestamps from the injected Clock) and a Link decorator
// that records every packet crossing the link in both directions. Streams through a bounded buffer.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock, TimerId } from '../util/clock.ts';
import { ImdsLabError } from '../util/errors.ts';
import type { Link, PacketReceiver } from './link.ts';

/** libpcap file format 2.4 (https://wiki.wireshark.org/Development/LibpcapFileFormat). */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const LINKTYPE_RAW = 101;
export const PCAP_SNAPLEN = 65535;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export type PcapWriterOptions = {
  clock: Clock;
  /** Bytes buffered before a write to the file (default 64 KiB). */
  bufferSize?: number;
  /** Flush at least this often while packets arrive (default 1000 ms; 0 disables the timer). */
  flushIntervalMs?: number;
};

export type PcapStats = { packets: number; bytes: number; truncated: number; flushes: number };

/** Writes a pcap file: the global header at open, one record per packet, flushed on close(). */
export class PcapWriter {
  readonly path: string;
  private fd: number | undefined;
  private readonly clock: Clock;
  private readonly buffer: Buffer;
  private used = 0;
  private readonly flushIntervalMs: number;
  private timer: TimerId | undefined;
  private readonly counters: PcapStats = { packets: 0, bytes: 0, truncated: 0, flushes: 0 };

  constructor(path: string, options: PcapWriterOptions) {
    const size = options.bufferSize ?? 64 * 1024;
    if (!Number.isInteger(size) || size < GLOBAL_HEADER + RECORD_HEADER) {
      throw new ImdsLabError('ERR_PCAP_OPTION', `bufferSize must be an integer >= ${GLOBAL_HEADER + RECORD_HEADER}, got ${size}`);
    }
    this.path = path;
    this.clock = options.clock;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.buffer = Buffer.alloc(size);
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw new ImdsLabError('ERR_PCAP_OPEN', `cannot create pcap file ${path}: ${(error as Error).message}`, { cause: error });
    }
    const b = this.buffer;
    b.writeUInt32LE(PCAP_MAGIC_MICROSECONDS, 0);
    b.writeUInt16LE(2, 4); // version major
    b.writeUInt16LE(4, 6); // version minor
    b.writeInt32LE(0, 8); // thiszone: timestamps are UTC
    b.writeUInt32LE(0, 12); // sigfigs
    b.writeUInt32LE(PCAP_SNAPLEN, 16);
    b.writeUInt32LE(LINKTYPE_RAW, 20);
    this.used = GLOBAL_HEADER;
    this.flush();
  }

  /** Appends one packet stamped with clock.wallTime(); bytes past the snap length are cut (orig_len keeps the size). */
  write(packet: Uint8Array): void {
    if (this.fd === undefined) return;
    const captured = Math.min(packet.length, PCAP_SNAPLEN);
    const recordSize = RECORD_HEADER + captured;
    if (this.used + recordSize > this.buffer.length) this.flush();
    const wallMs = this.clock.wallTime();
    let seconds = Math.floor(wallMs / 1000);
    let micros = Math.round((wallMs - seconds * 1000) * 1000);
    if (micros >= 1_000_000) {
      seconds++;
      micros -= 1_000_000;
    }
    const direct = recordSize > this.buffer.length; // a record larger than the buffer goes straight to the file
    const header = direct ? Buffer.allocUnsafe(RECORD_HEADER) : this.buffer.subarray(this.used, this.used + RECORD_HEADER);
    header.writeUInt32LE(seconds >>> 0, 0);
    header.writeUInt32LE(micros, 4);
    header.writeUInt32LE(captured, 8);
    header.writeUInt32LE(packet.length, 12);
    if (direct) {
      this.writeAll(header);
      this.writeAll(packet.subarray(0, captured));
    } else {
      this.buffer.set(packet.subarray(0, captured), this.used + RECORD_HEADER);
      this.used += recordSize;
    }
    this.counters.packets++;
    this.counters.bytes += captured;
    if (captured < packet.length) this.counters.truncated++;
    if (this.flushIntervalMs > 0 && this.timer === undefined) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.flushIntervalMs);
    }
  }

  /** Writes buffered records to the file. */
  flush(): void {
    if (this.fd === undefined || this.used === 0) return;
    this.writeAll(this.buffer.subarray(0, this.used));
    this.used = 0;
    this.counters.flushes++;
  }

  /** Flushes and closes the file; later writes are ignored. */
  close(): void {
    if (this.fd === undefined) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  stats(): PcapStats {
    return { ...this.counters };
  }

  private writeAll(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd!, bytes, offset, bytes.length - offset);
  }
}

/** A Link that records into `writer` every packet sent and received through `inner`; close() closes both. */
export function withPcap(inner: Link, writer: PcapWriter): Link {
  return {
    get mtu() {
      return inner.mtu;
    },
    send(packets: readonly Uint8Array[]) {
      for (const packet of packets) writer.write(packet);
      inner.send(packets);
    },
    setReceiver(receiver: PacketReceiver) {
      inner.setReceiver((packet) => {
        writer.write(packet);
        receiver(packet);
      });
    },
    close() {
      try {
        inner.close();
      } finally {
        writer.close();
      }
    },
  };
}

/** Opens `path` and wraps `inner` in one step. */
export function capturePcap(inner: Link, path: string, options: PcapWriterOptions): { link: Link; writer: PcapWriter } {
  const writer = new PcapWriter(path, options);
  return { link: withPcap(inner, writer), writer };
}
