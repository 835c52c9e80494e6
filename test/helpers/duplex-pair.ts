// Two connected in-memory Duplex streams (Node 20 has no stream.duplexPair): what one writes the other reads.
// They carry the net.Socket bits node:http touches (remoteAddress, setTimeout, setNoDelay, setKeepAlive),
// which proves the HTTP layer serves any Duplex: `server.emit('connection', pair.server)`.
import { Duplex } from 'node:stream';

export class PairedSocket extends Duplex {
  peer: PairedSocket | null = null;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  private timeoutMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(local: { address: string; port: number }, remote: { address: string; port: number }) {
    super({ allowHalfOpen: true });
    this.localAddress = local.address;
    this.localPort = local.port;
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.touch();
    const peer = this.peer;
    if (peer && !peer.destroyed) {
      peer.touch();
      peer.push(chunk);
    }
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.peer && !this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearTimer();
    const peer = this.peer;
    if (peer && !peer.destroyed && !peer.readableEnded) peer.push(null);
    callback(error);
  }

  /** Like net.Socket#setTimeout: emits 'timeout' after `ms` of inactivity (0 disables). */
  setTimeout(ms: number, callback?: () => void): this {
    this.timeoutMs = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.touch();
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  private touch(): void {
    this.clearTimer();
    if (this.timeoutMs > 0 && !this.destroyed) {
      this.timer = setTimeout(() => this.emit('timeout'), this.timeoutMs);
      this.timer.unref();
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export interface DuplexPair {
  /** The side handed to the server (its remoteAddress is the client's). */
  readonly server: PairedSocket;
  readonly client: PairedSocket;
}

export function duplexPair(client = { address: '10.1.0.4', port: 40000 }, server = { address: '169.254.169.254', port: 80 }): DuplexPair {
  const serverSide = new PairedSocket(server, client);
  const clientSide = new PairedSocket(client, server);
  serverSide.peer = clientSide;
  clientSide.peer = serverSide;
  return { server: serverSide, client: clientSide };
}
