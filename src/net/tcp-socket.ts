// TcpSocket: a userspace TCP connection as a stream.Duplex with the net.Socket surface node:http uses
// (addresses, setTimeout/'timeout', setNoDelay, setKeepAlive, ref/unref, destroySoon, bytesRead/Written).
// Backpressure follows the TCP window: we read from the Tcb only while the stream wants data.
import { Duplex } from 'node:stream';
import type { ConnectionEvents, StackConnection } from '../stack/stack-connection.ts';
import type { TcpCloseReason } from '../tcp/tcb-types.ts';
import type { Clock, TimerId } from '../util/clock.ts';
import { socketError } from './socket-errors.ts';

export interface TcpSocketOptions {
  readonly clock: Clock;
  /** Keep the write side open after the peer's FIN (node:http servers use true). Default true. */
  readonly allowHalfOpen?: boolean;
  /** Readable high-water mark in bytes (bounds what is buffered above the Tcb). Default 64 KiB. */
  readonly readableHighWaterMark?: number;
  readonly writableHighWaterMark?: number;
}

type PendingWrite = { chunk: Uint8Array; callback: (error?: Error | null) => void };

export class TcpSocket extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily = 'IPv4';
  readonly localAddress: string;
  readonly localPort: number;
  readonly connecting = false;
  readonly pending = false;
  bytesRead = 0;
  private bytesDispatched = 0;
  private readonly connection: StackConnection;
  private readonly clock: Clock;
  private wantData = false;
  private pulling = false;
  private eofPushed = false;
  private pendingWrite: PendingWrite | undefined;
  private timeoutMs = 0;
  private timer: TimerId | undefined;
  private lastActivity = 0;

  constructor(connection: StackConnection, options: TcpSocketOptions) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? true,
      readableHighWaterMark: options.readableHighWaterMark ?? 64 * 1024,
      writableHighWaterMark: options.writableHighWaterMark ?? 16 * 1024,
      decodeStrings: true,
      emitClose: true,
      autoDestroy: true,
    });
    this.connection = connection;
    this.clock = options.clock;
    this.remoteAddress = connection.remoteAddressText;
    this.remotePort = connection.remotePort;
    this.localAddress = connection.localAddressText;
    this.localPort = connection.localPort;
    const events: ConnectionEvents = {
      readable: () => this.onReadable(),
      writable: () => this.onWritable(),
      peerFin: () => this.onReadable(),
      closed: (reason) => this.onClosed(reason),
    };
    connection.setEvents(events);
    if (connection.isClosed) queueMicrotask(() => this.onClosed(connection.closeReason ?? 'ECONNABORTED'));
  }

  get bytesWritten(): number {
    return this.bytesDispatched + this.writableLength + (this.pendingWrite?.chunk.length ?? 0);
  }

  /** Idle timeout in ms (0 = none), as net.Socket#timeout. */
  get timeout(): number {
    return this.timeoutMs;
  }

  get readyState(): 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.destroyed) return 'closed';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }

  // --- readable side: pull from the Tcb only while the consumer wants data (the window closes otherwise)

  override _read(): void {
    this.wantData = true;
    this.pull();
  }

  private onReadable(): void {
    if (this.wantData) this.pull();
  }

  private pull(): void {
    if (this.pulling || this.destroyed) return;
    this.pulling = true;
    try {
      while (this.wantData) {
        const data = this.connection.read();
        if (data === undefined) {
          if (!this.eofPushed && this.connection.peerFinished && this.connection.readableLength === 0) {
            this.eofPushed = true;
            this.wantData = false;
            this.push(null);
          }
          break;
        }
        this.bytesRead += data.length;
        this.touch();
        this.wantData = this.push(data);
      }
    } finally {
      this.pulling = false;
    }
  }

  // --- writable side: the Tcb's send buffer is the only buffer below the stream

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunk(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const data = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this.writeChunk(data, callback);
  }

  private writeChunk(chunk: Uint8Array, callback: (error?: Error | null) => void): void {
    if (this.connection.isClosed) {
      callback(socketError(this.connection.closeReason === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'EPIPE', 'write'));
      return;
    }
    let written: number;
    try {
      written = this.connection.write(chunk);
    } catch {
      callback(socketError('EPIPE', 'write'));
      return;
    }
    this.bytesDispatched += written;
    if (written > 0) this.touch();
    if (written === chunk.length) callback();
    else this.pendingWrite = { chunk: chunk.subarray(written), callback };
  }

  private onWritable(): void {
    const pending = this.pendingWrite;
    if (pending === undefined) return;
    this.pendingWrite = undefined;
    this.writeChunk(pending.chunk, pending.callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.connection.isClosed) this.connection.shutdownWrite();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearTimer();
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    this.connection.setEvents(undefined);
    if (!this.connection.isClosed) this.connection.close();
    pending?.callback(error ?? socketError('EPIPE', 'write'));
    callback(error);
  }

  private onClosed(reason: TcpCloseReason): void {
    if (this.destroyed) return;
    if (reason === 'normal' || reason === 'reused') {
      if (!this.eofPushed) {
        this.eofPushed = true;
        this.push(null);
      }
      this.destroy();
    } else if (reason === 'ECONNABORTED') {
      this.destroy();
    } else {
      this.destroy(socketError(reason === 'ETIMEDOUT' ? 'ETIMEDOUT' : reason === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'ECONNRESET', 'read'));
    }
  }

  /** Half close then close once everything is flushed (net.Socket#destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Close with RST (net.Socket#resetAndDestroy). */
  resetAndDestroy(): this {
    this.clearTimer();
    if (!this.connection.isClosed) this.connection.abort();
    return this.destroy();
  }

  // --- net.Socket knobs

  /** Emits 'timeout' after `ms` without activity (0 disables); required by node:http keep-alive. */
  setTimeout(ms: number, callback?: () => void): this {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`The value of "msecs" is out of range. Received ${ms}`);
    this.timeoutMs = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    if (ms === 0) this.clearTimer();
    else {
      this.lastActivity = this.clock.now();
      this.clearTimer();
      this.armTimer(ms);
    }
    return this;
  }

  /** Nagle is off in the TCP core (node:http asks for it anyway). */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  /** Keep-alive probes are not sent by this stack; idle connections end through setTimeout. */
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  /** There is no handle to keep the event loop alive: the link does. */
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** Restarts the idle timer (node:http calls this when it consumes data directly). */
  _unrefTimer(): void {
    this.touch();
  }

  private touch(): void {
    if (this.timeoutMs > 0) {
      this.lastActivity = this.clock.now();
      if (this.timer === undefined) this.armTimer(this.timeoutMs);
    }
  }

  private armTimer(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.onTimer(), ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.destroyed || this.timeoutMs === 0) return;
    const idle = this.clock.now() - this.lastActivity;
    if (idle + 0.5 < this.timeoutMs) this.armTimer(this.timeoutMs - idle);
    else this.emit('timeout');
  }
}
