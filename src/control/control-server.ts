// The daemon's control server: newline-delimited JSON over a Unix socket created 0600 in a 0700 directory,
// behind the network-namespace proof (namespace-proof.ts); checks each request's envelope and fields against
// its descriptor in control-operations.ts and runs it; never lets a bad request crash the daemon.
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import type { Clock, FakeClock } from '../util/clock.ts';
import { ControlError, CONTROL_ERROR_CODES, fieldError, toErrorBody } from './control-error.ts';
import { CONTROL_PROTOCOL_VERSION, OPERATIONS, OPERATION_NAMES, isOperationName, type ControlSession, type Operation, type OperationContext } from './control-operations.ts';
import type { ControlledVm } from './controlled-vm.ts';
import { LineSplitter, writeJsonLine } from './json-lines.ts';
import { newNonce, startProofListener, type ProofListener } from './namespace-proof.ts';
import { describeValue, isPlainObject } from '../util/field-reader.ts';
import { Params } from './params.ts';
import { RequestLogBuffer } from './request-log-buffer.ts';
import { TimelineRegistry } from './timeline-run.ts';

export interface ControlServerOptions {
  readonly socketPath: string;
  readonly vms: readonly ControlledVm[];
  /** The daemon's clock (timelines run on it). */
  readonly clock: Clock;
  /** The same clock when it is virtual (enables clock.advance). */
  readonly virtualClock?: FakeClock;
  /** Request-log entries kept for queries (default 10 000). */
  readonly logCapacity?: number;
  /** Real milliseconds a connection has to pass the namespace proof (default 5000). */
  readonly proofTimeoutMs?: number;
  /** Connections waiting for their namespace proof; a new one beyond this closes the oldest (default 32). */
  readonly maxUnprovenConnections?: number;
  /** Connections in all; more are refused by the listener (default 128). */
  readonly maxConnections?: number;
}

export interface ControlServer {
  readonly socketPath: string;
  readonly abstractName: string;
  readonly log: RequestLogBuffer;
  readonly timelines: TimelineRegistry;
  close(): Promise<void>;
}

const ENVELOPE = ['id', 'op', 'vm'] as const;

/** Creates the socket directory 0700 (refusing a symlink or another owner's directory). */
async function prepareDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory()) throw new ControlError(CONTROL_ERROR_CODES.conflict, `control directory ${dir} is not a directory (a symlink?)`);
  if (process.getuid && info.uid !== process.getuid()) throw new ControlError(CONTROL_ERROR_CODES.conflict, `control directory ${dir} belongs to uid ${info.uid}, not us`);
  await chmod(dir, 0o700);
}

/** Removes a stale socket file; refuses a live one or a non-socket file. */
async function clearStaleSocket(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    return;
  }
  if (!info.isSocket()) throw new ControlError(CONTROL_ERROR_CODES.conflict, `${path} exists and is not a socket; not replacing it`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new ControlError(CONTROL_ERROR_CODES.conflict, `${path} is in use by a running daemon`);
  await unlink(path);
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  if (options.vms.length === 0) throw new ControlError(CONTROL_ERROR_CODES.internal, 'a control server needs at least one VM');
  const vms = new Map(options.vms.map((vm) => [vm.name, vm]));
  if (vms.size !== options.vms.length) throw new ControlError(CONTROL_ERROR_CODES.conflict, 'VM names must be unique');
  const log = new RequestLogBuffer(vms.keys(), options.logCapacity);
  const timelines = new TimelineRegistry();
  const ctx: OperationContext = { vms, clock: options.clock, virtualClock: options.virtualClock, log, timelines };
  const limits: ConnectionLimits = {
    proofTimeoutMs: options.proofTimeoutMs ?? 5000,
    maxUnproven: options.maxUnprovenConnections ?? 32,
    unproven: new Set(),
    connections: new Set(),
  };

  await prepareDirectory(dirname(options.socketPath));
  await clearStaleSocket(options.socketPath);
  const proof: ProofListener = await startProofListener();
  // Paused on connect: nothing is read from a connection before its namespace proof (issue 11 point 5).
  const server = net.createServer({ pauseOnConnect: true }, (socket) => serveConnection(socket, ctx, proof, limits));
  server.maxConnections = options.maxConnections ?? 128;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: options.socketPath }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // The 0700 directory keeps everyone else out during the moment between bind and chmod.
    await chmod(options.socketPath, 0o600);
  } catch (error) {
    log.close();
    await proof.close();
    server.close();
    throw new ControlError(CONTROL_ERROR_CODES.internal, `cannot listen on ${options.socketPath}: ${(error as Error).message}`, { cause: error });
  }

  let closed = false;
  return {
    socketPath: options.socketPath,
    abstractName: proof.name,
    log,
    timelines,
    async close() {
      if (closed) return;
      closed = true;
      await timelines.stopAll();
      for (const socket of limits.connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await proof.close();
      log.close();
      await unlink(options.socketPath).catch(() => {});
    },
  };
}

interface ConnectionLimits {
  readonly proofTimeoutMs: number;
  readonly maxUnproven: number;
  /** Connections waiting for their proof, oldest first (a Set keeps insertion order). */
  readonly unproven: Set<net.Socket>;
  readonly connections: Set<net.Socket>;
}

function serveConnection(socket: net.Socket, ctx: OperationContext, proof: ProofListener, limits: ConnectionLimits): void {
  const { connections, unproven } = limits;
  connections.add(socket);
  unproven.add(socket);
  // Too many connections without a proof: close the oldest (a legitimate client proves within milliseconds).
  if (unproven.size > limits.maxUnproven) unproven.values().next().value!.destroy();
  const streams = new Map<string, () => void>();
  const splitter = new LineSplitter();
  const send = (value: unknown): void => {
    writeJsonLine(socket, value);
  };
  const nonce = newNonce();
  const unexpect = proof.expect(nonce, () => {
    clearTimeout(timer);
    unproven.delete(socket);
    send({ type: 'ready', version: CONTROL_PROTOCOL_VERSION, vms: [...ctx.vms.keys()], virtualClock: ctx.virtualClock !== undefined });
    // Only now is anything read from the connection (it was paused on connect).
    socket.on('data', onData);
    socket.resume();
  });
  /** Sends a last line, then destroys the connection (not a half-close: nothing more is read). */
  const closeWith = (value: unknown): void => {
    socket.pause();
    if (!socket.destroyed) socket.write(`${JSON.stringify(value)}\n`, () => socket.destroy());
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  const timer = setTimeout(() => {
    closeWith({ id: null, ok: false, error: { code: CONTROL_ERROR_CODES.namespace, message: 'no namespace proof received: control clients must run in the daemon\'s network namespace' } });
  }, limits.proofTimeoutMs);
  timer.unref();
  const cleanup = (): void => {
    clearTimeout(timer);
    unexpect();
    for (const stop of streams.values()) stop();
    streams.clear();
    connections.delete(socket);
    unproven.delete(socket);
  };
  socket.on('close', cleanup);
  socket.on('error', () => socket.destroy());
  send({ type: 'challenge', version: CONTROL_PROTOCOL_VERSION, abstract: proof.name, nonce });

  function onData(chunk: Buffer): void {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (error) {
      closeWith({ id: null, ok: false, error: { code: CONTROL_ERROR_CODES.tooLarge, message: (error as Error).message } });
      return;
    }
    for (const line of lines) void handleLine(line);
  }

  async function handleLine(line: string): Promise<void> {
    let id: string | number | null = null;
    try {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch (error) {
        throw new ControlError(CONTROL_ERROR_CODES.json, `not valid JSON: ${(error as Error).message}`);
      }
      if (!isPlainObject(message)) throw fieldError('request', `must be a JSON object like {"id":1,"op":"ping"}, got ${describeValue(message)}`);
      const rawId = message['id'];
      if (rawId !== undefined && typeof rawId !== 'string' && !(typeof rawId === 'number' && Number.isFinite(rawId))) {
        throw fieldError('id', `must be a number or a string, got ${describeValue(rawId)}`);
      }
      id = rawId ?? null;
      const op = message['op'];
      if (op === undefined) throw fieldError('op', `is required (one of ${OPERATION_NAMES.join(', ')})`);
      if (typeof op !== 'string') throw fieldError('op', `must be a string, got ${describeValue(op)}`);
      if (!isOperationName(op)) {
        throw new ControlError(CONTROL_ERROR_CODES.unknownOp, `op: unknown operation ${JSON.stringify(op)} (known: ${OPERATION_NAMES.join(', ')})`, { field: 'op' });
      }
      const operation: Operation = OPERATIONS[op];
      // Daemon-wide operations need no VM; namedVm is undefined when none was named and there are several.
      const vm = resolveVm(message['vm'], ctx, operation.scope === 'daemon');
      const namedVm = message['vm'] === undefined && ctx.vms.size > 1 ? undefined : vm.name;
      const rest: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(message)) if (!(ENVELOPE as readonly string[]).includes(key)) rest[key] = value;
      const p = new Params(rest, '').only(operation.fields);
      const session: ControlSession = { id, streams, send, queuedBytes: () => socket.writableLength };
      const result = await operation.run({ p, vm, namedVm, ctx, session });
      send({ id, ok: true, result: result ?? null });
    } catch (error) {
      send({ id, ok: false, error: toErrorBody(error) });
    }
  }
}

function resolveVm(value: unknown, ctx: OperationContext, daemonWide: boolean): ControlledVm {
  if (value === undefined) {
    if (ctx.vms.size === 1 || daemonWide) return ctx.vms.values().next().value!;
    throw fieldError('vm', `is required: this daemon serves several VMs (${[...ctx.vms.keys()].join(', ')})`);
  }
  if (typeof value !== 'string') throw fieldError('vm', `must be a string, got ${describeValue(value)}`);
  const vm = ctx.vms.get(value);
  if (!vm) throw new ControlError(CONTROL_ERROR_CODES.unknownVm, `vm: no VM named ${JSON.stringify(value)} (known: ${[...ctx.vms.keys()].join(', ')})`, { field: 'vm' });
  return vm;
}
