// ControlClient: the typed client of the control socket (tests, library mode, `imds-lab ctl`). Connects,
// passes the network-namespace proof, then sends one JSON line per request and matches answers by id.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpFault, LoadBalancerProfile, ScheduledEventProfile, UserAssignedIdentity, VmProfile } from '../config/vm-profile.ts';
import type { FaultState } from '../http/http-faults.ts';
import type { Acknowledgement, ScheduledEventsSnapshot } from '../imds/scheduled-events-state.ts';
import { ControlError, CONTROL_ERROR_CODES, type ControlErrorBody } from './control-error.ts';
import { LineSplitter, writeJsonLine } from './json-lines.ts';
import { presentProof } from './namespace-proof.ts';
import type { LoggedRequest, LogFilter } from './request-log-buffer.ts';
import type { TimelineStatus } from './timeline-run.ts';

export type Duration = number | string;

/** A fault as sent: HttpFault with `delay` accepted as duration text too. */
export type FaultInput = HttpFault | (Omit<HttpFault, 'delayMs'> & { readonly delay?: Duration });

export interface PhaseInput {
  readonly label?: string;
  /** Omit on the last phase to keep it until stopped. */
  readonly duration?: Duration;
  readonly http?: FaultInput | readonly FaultInput[];
  /** Shorthand: an HTTP status (404, 410, 429, 500, 503) for `path` (default "/": every request). */
  readonly status?: number;
  readonly delay?: Duration;
  readonly path?: string;
  /** A --net-fault spec or persona (capture tun). */
  readonly net?: string;
  readonly refuse?: boolean;
}

export interface TimelineInput {
  readonly name?: string;
  readonly phases: readonly PhaseInput[];
  readonly loop?: boolean;
}

export interface ScheduledEventInput extends Partial<Omit<ScheduledEventProfile, 'eventType'>> {
  readonly eventType: ScheduledEventProfile['eventType'];
  /** NotBefore relative to the daemon's clock (e.g. "15m"); instead of notBefore. */
  readonly notBeforeIn?: Duration;
}

export type IdentityInput =
  | { readonly type: 'system'; readonly clientId: string; readonly objectId: string }
  | ({ readonly type: 'user' } & UserAssignedIdentity);

export type IdentitySelector = { readonly type: 'system' } | { readonly clientId: string } | { readonly objectId: string } | { readonly resourceId: string };

export interface ClockView {
  readonly virtual: boolean;
  readonly now: number;
  readonly wallTime: string;
}

export interface VmInfo {
  readonly name: string;
  readonly capture: 'socket' | 'tun';
  readonly netFaults: boolean;
  readonly canRefuse: boolean;
}

export interface LogFollower {
  /** Stops the stream (the connection stays open). */
  stop(): Promise<void>;
}

export class ControlRequestError extends ControlError {}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** One connection; ControlClient views share it. */
class Connection {
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

  request(op: string, params: Record<string, unknown>, vm: string | undefined): Promise<unknown> {
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
async function open(socket: Duplex, socketPath: string, timeoutMs: number): Promise<Connection> {
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

export interface ConnectOptions {
  /** Address requests to this VM (default: the daemon's only VM). */
  readonly vm?: string;
  readonly timeoutMs?: number;
}

export class ControlClient {
  private readonly connection: Connection;
  /** The VM requests go to (undefined: the daemon's only VM). */
  readonly vm: string | undefined;

  private constructor(connection: Connection, vm: string | undefined) {
    this.connection = connection;
    this.vm = vm;
  }

  static async connect(socketPath: string, options: ConnectOptions = {}): Promise<ControlClient> {
    return new ControlClient(await open(net.connect({ path: socketPath }), socketPath, options.timeoutMs ?? 5000), options.vm);
  }

  /**
   * A client over any duplex stream that carries the control protocol, e.g. the stdio of `imds-lab ctl --stdio`
   * run in the daemon's namespace (library mode: the relay passes the namespace proof). `label` names it in errors.
   */
  static async overStream(stream: Duplex, label: string, options: ConnectOptions = {}): Promise<ControlClient> {
    return new ControlClient(await open(stream, label, options.timeoutMs ?? 10_000), options.vm);
  }

  /** VM names the daemon serves. */
  get vms(): readonly string[] {
    return this.connection.vms;
  }

  /** A view of the same connection that addresses another VM. */
  forVm(name: string): ControlClient {
    return new ControlClient(this.connection, name);
  }

  /** Any operation by name (see docs/control.md). */
  request<T = unknown>(op: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.connection.request(op, params, this.vm) as Promise<T>;
  }

  ping(): Promise<{ pong: true; version: number; vms: string[]; virtualClock: boolean }> {
    return this.request('ping');
  }
  listVms(): Promise<VmInfo[]> {
    return this.request('vm.list');
  }

  addFault(fault: FaultInput): Promise<{ id: number; fault: HttpFault }> {
    return this.request('fault.add', { fault });
  }
  listFaults(): Promise<FaultState[]> {
    return this.request('fault.list');
  }
  removeFault(id: number): Promise<{ removed: number }> {
    return this.request('fault.remove', { faultId: id });
  }
  clearFaults(): Promise<{ cleared: number }> {
    return this.request('fault.clear');
  }

  /** Network faults (capture tun): a --net-fault spec ("drop-syn,seed=7") or a persona (black-hole, refuse, icmp, lossy, stall). */
  setNetFaults(faults: string): Promise<{ faults: unknown }> {
    return this.request('net.set', { faults });
  }
  clearNetFaults(): Promise<{ faults: unknown }> {
    return this.request('net.clear');
  }
  getNetFaults(): Promise<{ faults: unknown }> {
    return this.request('net.get');
  }

  startTimeline(timeline: TimelineInput, options: { replace?: boolean } = {}): Promise<TimelineStatus> {
    return this.request('timeline.start', { timeline, ...(options.replace !== undefined ? { replace: options.replace } : {}) });
  }
  timelineStatus(): Promise<TimelineStatus> {
    return this.request('timeline.status');
  }
  stopTimeline(): Promise<TimelineStatus> {
    return this.request('timeline.stop');
  }

  clock(): Promise<ClockView> {
    return this.request('clock.get');
  }
  /** Moves the daemon's virtual clock (timers, timelines, fault delays, NotBefore defaults). */
  advanceClock(by: Duration): Promise<ClockView> {
    return this.request('clock.advance', { by });
  }

  listEvents(): Promise<ScheduledEventsSnapshot> {
    return this.request('events.list');
  }
  addEvent(event: ScheduledEventInput): Promise<{ event: ScheduledEventProfile; documentIncarnation: number }> {
    return this.request('events.add', { event });
  }
  advanceEvent(eventId: string): Promise<{ eventId: string; result: 'started' | 'removed'; documentIncarnation: number }> {
    return this.request('events.advance', { eventId });
  }
  removeEvent(eventId: string): Promise<{ removed: string; documentIncarnation: number }> {
    return this.request('events.remove', { eventId });
  }
  /** Every EventId the app POSTed in StartRequests, with time and source. */
  acknowledgements(): Promise<Acknowledgement[]> {
    return this.request('events.acks');
  }

  getProfile(): Promise<VmProfile> {
    return this.request('profile.get');
  }
  setProfile(profile: unknown): Promise<{ ok: true }> {
    return this.request('profile.set', { profile });
  }
  /** Sets compute.tagsList and compute.tags together. */
  setTags(tags: Readonly<Record<string, string>> | readonly { name: string; value: string }[]): Promise<{ tags: string; tagsList: { name: string; value: string }[] }> {
    return this.request('tags.set', { tags });
  }
  setUserData(userData: string, encoding: 'base64' | 'text' = 'base64'): Promise<{ userData: string }> {
    return this.request('userdata.set', { userData, encoding });
  }
  addIdentity(identity: IdentityInput): Promise<VmProfile['identity']> {
    return this.request('identity.add', { identity });
  }
  removeIdentity(selector: IdentitySelector): Promise<VmProfile['identity']> {
    return this.request('identity.remove', { identity: selector });
  }
  setLoadBalancer(loadBalancer: LoadBalancerProfile | null): Promise<{ loadBalancer: LoadBalancerProfile | null }> {
    return this.request('loadbalancer.set', { loadBalancer });
  }

  queryLog(filter: Omit<LogFilter, 'vm'> = {}): Promise<{ entries: LoggedRequest[]; lastSeq: number }> {
    return this.request('log.query', { ...filter });
  }
  /** Streams new request-log entries (with `since`, first the logged ones after that seq). */
  followLog(filter: Omit<LogFilter, 'vm' | 'limit'>, onEntry: (entry: LoggedRequest) => void): Promise<LogFollower> {
    return this.connection.follow({ ...filter }, this.vm, onEntry);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
