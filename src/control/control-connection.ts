// The control socket's connection, for ControlClient: passes the network-namespace proof, then carries one
// JSON line per request, matches answers by id and routes streamed log entries to their follower.
import type { Duplex } from 'node:stream';
import { ControlError, ControlRequestError, CONTROL_ERROR_CODES, type ControlErrorBody } from './control-error.ts';
import type { OperationName } from './control-operations.ts';
import { LineSplitter, writeJsonLine } from './json-lines.ts';
import { presentProof } from './namespace-proof.ts';
import type { LoggedRequest } from './request-log-buffer.ts';

export interface LogFollower {
  /** Stops the stream (the connection stays open). */
  stop(): Promise<void>;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** One connection; ControlClient views share it. */
export class Connection {
  readonly socket: Duplex;
  readonly vms: readonly string[];
  readonly virtualClock: boolean;
  private readonly pending = new Map<string, Pending>();
  private readonly streams = new Map<string, (entry: LoggedRequest) => void>();
  private nextId = 1;
  private closedError: Error | undefined;

  constructor(socket: Duplex, splitter: LineSplitter, ready: { vms: string[]; virtualClock: boolean }, rest: string[]) {
    this.socket = socket;
    this.vms = ready.vms;
    this.virtualClock = ready.virtualClock;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of splitter.push(chunk)) this.onLine(line);
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('close', () => this.fail(new ControlError(CONTROL_ERROR_CODES.connection, 'the control connection closed')));
    socket.on('error', (error) => this.fail(error));
    for (const line of rest) this.onLine(line);
  }

  private onLine(line: string): void {
    const message = JSON.parse(line) as { id?: string | number | null; ok?: boolean; result?: unknown; error?: ControlErrorBody; event?: LoggedRequest };
    const key = String(message.id);
    if (message.event !== undefined) {
      this.streams.get(key)?.(message.event);
      return;
    }
    const waiter = this.pending.get(key);
    if (!waiter) {
      if (message.ok === false && message.error) this.fail(new ControlRequestError(message.error.code, message.error.message));
      return;
    }
    this.pending.delete(key);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new ControlRequestError(message.error?.code ?? CONTROL_ERROR_CODES.internal, message.error?.message ?? 'request failed', message.error?.field ? { field: message.error.field } : undefined));
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    this.streams.clear();
    this.socket.destroy();
  }

  request(op: OperationName, params: Record<string, unknown>, vm: string | undefined): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(String(id), { resolve, reject });
      writeJsonLine(this.socket, { id, op, ...(vm !== undefined ? { vm } : {}), ...params });
    });
  }

  async follow(params: Record<string, unknown>, vm: string | undefined, onEntry: (entry: LoggedRequest) => void): Promise<LogFollower> {
    const id = this.nextId;
    this.streams.set(String(id), onEntry);
    try {
      await this.request('log.follow', params, vm);
    } catch (error) {
      this.streams.delete(String(id));
      throw error;
    }
    return {
      stop: async () => {
        this.streams.delete(String(id));
        await this.request('log.unfollow', { stream: id }, vm);
      },
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}

/**
 * Passes the namespace proof on `socket` (a Unix socket, or a relay's stdio that already passed it: then the
 * first line is `ready`); resolves with the connection once the daemon says ready.
 */
export async function openConnection(socket: Duplex, socketPath: string, timeoutMs: number): Promise<Connection> {
  const splitter = new LineSplitter();
  return new Promise<Connection>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new ControlError(CONTROL_ERROR_CODES.connection, `no answer from ${socketPath} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? ' (is the daemon running with its control socket on?)' : '';
      fail(new ControlError(CONTROL_ERROR_CODES.connection, `cannot connect to the control socket ${socketPath}: ${error.code ?? error.message}${hint}`, { cause: error }));
    });
    const onData = (chunk: Buffer): void => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (error) {
        fail(error as Error);
        return;
      }
      while (lines.length > 0 && !settled) {
        const message = JSON.parse(lines.shift()!) as { type?: string; abstract?: string; nonce?: string; vms?: string[]; virtualClock?: boolean; ok?: boolean; error?: ControlErrorBody };
        if (message.type === 'challenge' && message.abstract && message.nonce) {
          presentProof(message.abstract, message.nonce, timeoutMs).catch((error: Error) => {
            clearTimeout(timer);
            fail(error);
          });
        } else if (message.type === 'ready') {
          clearTimeout(timer);
          settled = true;
          socket.off('data', onData);
          socket.removeAllListeners('error');
          resolve(new Connection(socket, splitter, { vms: message.vms ?? [], virtualClock: message.virtualClock === true }, lines));
        } else if (message.ok === false && message.error) {
          clearTimeout(timer);
          fail(new ControlRequestError(message.error.code, message.error.message));
        }
      }
    };
    socket.on('data', onData);
  });
}
