// ControlClient: the typed client of the control socket (tests, library mode, `imds-lab ctl`): the request
// and answer types and one method per operation (control-operations.ts), over a Connection (control-connection.ts).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpFault, LoadBalancerProfile, ScheduledEventProfile, UserAssignedIdentity, VmProfile } from '../config/vm-profile.ts';
import type { FaultState } from '../http/http-faults.ts';
import type { Acknowledgement, ScheduledEventsSnapshot } from '../imds/scheduled-events-state.ts';
import { openConnection, type Connection, type LogFollower } from './control-connection.ts';
import type { OperationName, OperationResult } from './control-operations.ts';
import type { LoggedRequest, LogFilter } from './request-log-buffer.ts';
import type { CaptureMode } from '../util/capture-mode.ts';
import type { TimelineStatus } from './timeline-run.ts';

export type { LogFollower } from './control-connection.ts';

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
  readonly capture: CaptureMode;
  readonly netFaults: boolean;
  readonly canRefuse: boolean;
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
    return new ControlClient(await openConnection(net.connect({ path: socketPath }), socketPath, options.timeoutMs ?? 5000), options.vm);
  }

  /**
   * A client over any duplex stream that carries the control protocol, e.g. the stdio of `imds-lab ctl --stdio`
   * run in the daemon's namespace (library mode: the relay passes the namespace proof). `label` names it in errors.
   */
  static async overStream(stream: Duplex, label: string, options: ConnectOptions = {}): Promise<ControlClient> {
    return new ControlClient(await openConnection(stream, label, options.timeoutMs ?? 10_000), options.vm);
  }

  /** VM names the daemon serves. */
  get vms(): readonly string[] {
    return this.connection.vms;
  }

  /** A view of the same connection that addresses another VM. */
  forVm(name: string): ControlClient {
    return new ControlClient(this.connection, name);
  }

  /** Any operation by name (the table in control-operations.ts; docs/control.md); its result type follows the operation. */
  request<K extends OperationName>(op: K, params: Record<string, unknown> = {}): Promise<OperationResult<K>> {
    return this.connection.request(op, params, this.vm) as Promise<OperationResult<K>>;
  }

  ping(): Promise<{ pong: true; version: number; vms: string[]; virtualClock: boolean }> {
    return this.request('ping');
  }
  listVms(): Promise<VmInfo[]> {
    return this.request('vm.list');
  }

  addFault(fault: FaultInput): Promise<{ id: number; fault: HttpFault; addedAt: string }> {
    return this.request('fault.add', { fault });
  }
  listFaults(): Promise<(FaultState & { addedAt?: string })[]> {
    return this.request('fault.list');
  }
  removeFault(id: number): Promise<{ removed: number }> {
    return this.request('fault.remove', { faultId: id });
  }
  clearFaults(): Promise<{ cleared: number }> {
    return this.request('fault.clear');
  }

  /** Network faults (capture tun): a --net-fault spec ("drop-syn,seed=7") or a persona (black-hole, refuse, icmp, lossy, stall). */
  setNetFaults(faults: string): Promise<{ faults: unknown; setAt: string }> {
    return this.request('net.set', { faults });
  }
  clearNetFaults(): Promise<{ faults: unknown; setAt: string }> {
    return this.request('net.clear');
  }
  /** setAt: when the control plane last set or cleared them (null: never, the faults are the daemon's flags). */
  getNetFaults(): Promise<{ faults: unknown; setAt: string | null }> {
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
    return this.request('events.acks') as Promise<Acknowledgement[]>;
  }

  getProfile(): Promise<VmProfile> {
    return this.request('profile.get');
  }
  setProfile(profile: unknown): Promise<{ ok: true }> {
    return this.request('profile.set', { profile });
  }
  /** Sets compute.tagsList and compute.tags together. */
  setTags(tags: Readonly<Record<string, string>> | readonly { name: string; value: string }[]): Promise<{ tags: string; tagsList: { name: string; value: string }[] }> {
    // The profile's tags are an InstanceNode in general; tags.set always stores a string and a list.
    return this.request('tags.set', { tags }) as Promise<{ tags: string; tagsList: { name: string; value: string }[] }>;
  }
  setUserData(userData: string, encoding: 'base64' | 'text' = 'base64'): Promise<{ userData: string }> {
    return this.request('userdata.set', { userData, encoding }) as Promise<{ userData: string }>;
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
