// The control operations as data: one descriptor per operation (scope, streaming or not, the request fields it
// takes, handler). The server (control-server.ts), the typed client (control-client.ts) and `imds-lab ctl`
// use this table; a new operation is one entry here plus its client method (docs/control.md).
import type { FakeClock, Clock } from '../util/clock.ts';
import { ControlError, CONTROL_ERROR_CODES, fieldError } from './control-error.ts';
import type { ControlledVm } from './controlled-vm.ts';
import { parseDuration } from './duration.ts';
import { checked, readTags, withIdentityAdded, withIdentityRemoved, withLoadBalancer, withTags, withUserData } from './profile-edits.ts';
import { LOG_FILTER_KEYS, readLogFilter, type RequestLogBuffer } from './request-log-buffer.ts';
import type { Params } from './params.ts';
import { readScheduledEvent } from './scheduled-event-input.ts';
import { netSpecOf, readHttpFault, readTimeline } from './timeline-spec.ts';
import type { TimelineRegistry } from './timeline-run.ts';

export const CONTROL_PROTOCOL_VERSION = 1;

export interface OperationContext {
  readonly vms: ReadonlyMap<string, ControlledVm>;
  /** The daemon's clock (virtual or real): timelines run on it. */
  readonly clock: Clock;
  /** Set when the daemon runs on a virtual clock that clock.advance moves. */
  readonly virtualClock: FakeClock | undefined;
  readonly log: RequestLogBuffer;
  readonly timelines: TimelineRegistry;
}

/** One connection's side of a request: its id, the connection's open streams, and a way to send on it. */
export interface ControlSession {
  readonly id: string | number | null;
  /** Open streams of this connection, by request id; the function stops one. */
  readonly streams: Map<string, () => void>;
  send(value: unknown): void;
  /** Bytes queued for this connection (a follower that does not read is cut off). */
  queuedBytes(): number;
}

/** What a handler gets: its fields (already checked against `fields`), the VM, the daemon, the connection. */
export interface OperationCall {
  readonly p: Params;
  /** The VM addressed (a daemon-wide operation without `vm`: the first VM). */
  readonly vm: ControlledVm;
  /** The VM the request named, or undefined when it named none and the daemon serves several (the log: every VM). */
  readonly namedVm: string | undefined;
  readonly ctx: OperationContext;
  readonly session: ControlSession;
}

export interface Operation {
  /** `vm`: about one VM (required with several VMs); `daemon`: about the daemon, no `vm` needed. */
  readonly scope: 'vm' | 'daemon';
  /** Answers, then sends events tagged with the request id. */
  readonly streaming?: true;
  /** The request fields besides id, op and vm; any other field is refused. */
  readonly fields: readonly string[];
  readonly run: (call: OperationCall) => unknown;
}

function notFound(field: string, message: string): ControlError {
  return new ControlError(CONTROL_ERROR_CODES.notFound, message, { field });
}

function requireNet(vm: ControlledVm): NonNullable<ControlledVm['net']> {
  if (!vm.net) {
    throw new ControlError(
      CONTROL_ERROR_CODES.unsupported,
      `network faults need the tun capture: VM ${vm.name} is served in ${vm.capture} mode (HTTP faults and timelines with "refuse" work in socket mode)`,
    );
  }
  return vm.net;
}

function clockView(ctx: OperationContext): { virtual: boolean; now: number; wallTime: string } {
  return { virtual: ctx.virtualClock !== undefined, now: ctx.clock.now(), wallTime: new Date(ctx.clock.wallTime()).toISOString() };
}

/**
 * When the control plane last changed a VM's network faults and added each HTTP fault (the clock's wall time,
 * ISO 8601): net.get/net.set answer `setAt`, fault.add/fault.list `addedAt`; the HTML view marks them in time.
 */
const setTimes = new WeakMap<ControlledVm, { net: string | null; http: Map<number, string> }>();

function timesOf(vm: ControlledVm): { net: string | null; http: Map<number, string> } {
  let t = setTimes.get(vm);
  if (!t) setTimes.set(vm, (t = { net: null, http: new Map() }));
  return t;
}

function wallNow(ctx: OperationContext): string {
  return new Date(ctx.clock.wallTime()).toISOString();
}

function timelineOf({ vm, ctx }: OperationCall): NonNullable<ReturnType<TimelineRegistry['get']>> {
  const run = ctx.timelines.get(vm.name);
  if (!run) throw notFound('vm', `VM ${vm.name} has run no timeline`);
  return run;
}

function incarnation(vm: ControlledVm): number {
  return vm.context.scheduledEvents.snapshot().documentIncarnation;
}

/** A profile change through one of the profile-edits helpers; returns the changed profile. */
function edit(vm: ControlledVm, change: (profile: ReturnType<ControlledVm['context']['profile']>) => ReturnType<ControlledVm['context']['profile']>): ReturnType<ControlledVm['context']['profile']> {
  const next = change(vm.context.profile());
  vm.setProfile(next);
  return next;
}

/** Streams new request-log entries (after the backlog since `since`) on this connection until log.unfollow. */
function follow({ p, namedVm, ctx, session }: OperationCall): { stream: string | number; lastSeq: number } {
  const { id, streams, send } = session;
  if (id === null) throw fieldError('id', 'is required for log.follow (stream events carry it)');
  const key = String(id);
  if (streams.has(key)) throw new ControlError(CONTROL_ERROR_CODES.conflict, `id: stream ${key} is already open on this connection`, { field: 'id' });
  const filter = readLogFilter(p, namedVm);
  const backlog = filter.since !== undefined ? ctx.log.query(filter) : [];
  // Answer first, then the backlog, then live entries — all in order on this connection.
  queueMicrotask(() => {
    for (const entry of backlog) send({ id, event: entry });
  });
  const { limit: _limit, ...live } = filter;
  streams.set(key, ctx.log.follow(live, (entry) => {
    if (session.queuedBytes() > 16 * 1024 * 1024) {
      send({ id, ok: false, error: { code: CONTROL_ERROR_CODES.tooLarge, message: 'the follower is too slow; stream closed' } });
      streams.get(key)?.();
      streams.delete(key);
      return;
    }
    send({ id, event: entry });
  }));
  return { stream: id, lastSeq: ctx.log.lastSeq };
}

export const OPERATIONS = {
  ping: { scope: 'daemon', fields: [], run: ({ ctx }) => ({ pong: true as const, version: CONTROL_PROTOCOL_VERSION, vms: [...ctx.vms.keys()], virtualClock: ctx.virtualClock !== undefined }) },
  'vm.list': {
    scope: 'daemon',
    fields: [],
    run: ({ ctx }) => [...ctx.vms.values()].map((v) => ({ name: v.name, capture: v.capture, netFaults: v.net !== undefined, canRefuse: v.net !== undefined || v.listener !== undefined })),
  },

  'fault.add': {
    scope: 'vm',
    fields: ['fault'],
    run: ({ p, vm, ctx }) => {
      const fault = readHttpFault(p.required('fault'), 'fault');
      const id = vm.faults.add(fault);
      const addedAt = wallNow(ctx);
      timesOf(vm).http.set(id, addedAt);
      return { id, fault, addedAt };
    },
  },
  'fault.list': {
    scope: 'vm',
    fields: [],
    run: ({ vm }) => vm.faults.list().map((f) => {
      const addedAt = setTimes.get(vm)?.http.get(f.id);
      return addedAt === undefined ? f : { ...f, addedAt };
    }),
  },
  'fault.remove': {
    scope: 'vm',
    fields: ['faultId'],
    run: ({ p, vm }) => {
      const id = p.integer('faultId', 1, Number.MAX_SAFE_INTEGER);
      if (!vm.faults.remove(id)) throw notFound('faultId', `faultId: no HTTP fault ${id} on VM ${vm.name}`);
      return { removed: id };
    },
  },
  'fault.clear': {
    scope: 'vm',
    fields: [],
    run: ({ vm }) => {
      const count = vm.faults.list().length;
      vm.faults.clear();
      return { cleared: count };
    },
  },

  'net.set': {
    scope: 'vm',
    fields: ['faults'],
    run: ({ p, vm, ctx }) => {
      const spec = p.string('faults').trim();
      if (spec === '') throw fieldError('faults', 'must be a --net-fault spec or a persona (black-hole, refuse, icmp, lossy, stall, rst, drop-syn=P, loss=P…)');
      const faults = requireNet(vm).set(netSpecOf(spec));
      const setAt = (timesOf(vm).net = wallNow(ctx));
      return { faults, setAt };
    },
  },
  'net.clear': {
    scope: 'vm',
    fields: [],
    run: ({ vm, ctx }) => {
      requireNet(vm).clear();
      return { faults: requireNet(vm).current(), setAt: (timesOf(vm).net = wallNow(ctx)) };
    },
  },
  'net.get': { scope: 'vm', fields: [], run: ({ vm }) => ({ faults: requireNet(vm).current(), setAt: setTimes.get(vm)?.net ?? null }) },

  'timeline.start': {
    scope: 'vm',
    fields: ['timeline', 'replace'],
    run: async ({ p, vm, ctx }) => {
      const spec = readTimeline(p.required('timeline'));
      const run = await ctx.timelines.start(vm, spec, ctx.clock, p.optionalBoolean('replace') ?? false);
      return run.status();
    },
  },
  'timeline.status': { scope: 'vm', fields: [], run: (call) => timelineOf(call).status() },
  'timeline.stop': {
    scope: 'vm',
    fields: [],
    run: async (call) => {
      const run = timelineOf(call);
      await run.stop();
      return run.status();
    },
  },

  'clock.get': { scope: 'daemon', fields: [], run: ({ ctx }) => clockView(ctx) },
  'clock.advance': {
    scope: 'daemon',
    fields: ['by'],
    run: async ({ p, ctx }) => {
      const ms = parseDuration(p.required('by'), 'by');
      if (!ctx.virtualClock) throw new ControlError(CONTROL_ERROR_CODES.unsupported, 'the daemon runs on the real clock; start it with a virtual clock (serve --virtual-clock) to advance time', { field: 'by' });
      if (ms > 366 * 86_400_000) throw fieldError('by', 'at most 366 days at once');
      ctx.virtualClock.advance(ms);
      await ctx.timelines.idle();
      return clockView(ctx);
    },
  },

  'events.list': { scope: 'vm', fields: [], run: ({ vm }) => vm.context.scheduledEvents.snapshot() },
  'events.add': {
    scope: 'vm',
    fields: ['event'],
    run: ({ p, vm, ctx }) => {
      const event = readScheduledEvent(p.required('event'), vm.name, ctx.clock);
      vm.context.scheduledEvents.addEvent(event);
      return { event, documentIncarnation: incarnation(vm) };
    },
  },
  'events.advance': {
    scope: 'vm',
    fields: ['eventId'],
    run: ({ p, vm }) => {
      const eventId = p.string('eventId');
      const result = vm.context.scheduledEvents.advance(eventId);
      return { eventId, result, documentIncarnation: incarnation(vm) };
    },
  },
  'events.remove': {
    scope: 'vm',
    fields: ['eventId'],
    run: ({ p, vm }) => {
      const eventId = p.string('eventId');
      if (!vm.context.scheduledEvents.removeEvent(eventId)) throw notFound('eventId', `eventId: no scheduled event ${eventId} on VM ${vm.name}`);
      return { removed: eventId, documentIncarnation: incarnation(vm) };
    },
  },
  'events.acks': { scope: 'vm', fields: [], run: ({ vm }) => vm.context.scheduledEvents.acknowledgements() },

  'profile.get': { scope: 'vm', fields: [], run: ({ vm }) => vm.context.profile() },
  'profile.set': {
    scope: 'vm',
    fields: ['profile'],
    run: ({ p, vm }) => {
      vm.setProfile(checked(p.required('profile'), 'profile.set'));
      return { ok: true as const };
    },
  },
  'tags.set': {
    scope: 'vm',
    fields: ['tags'],
    run: ({ p, vm }) => {
      const next = edit(vm, (profile) => withTags(profile, readTags(p.required('tags'), 'tags')));
      return { tags: next.instance.compute['tags'], tagsList: next.instance.compute['tagsList'] };
    },
  },
  'userdata.set': {
    scope: 'vm',
    fields: ['userData', 'encoding'],
    run: ({ p, vm }) => {
      const encoding = p.has('encoding') ? p.oneOf('encoding', ['base64', 'text'] as const) : 'base64';
      const next = edit(vm, (profile) => withUserData(profile, p.string('userData'), encoding));
      return { userData: next.instance.compute['userData'] };
    },
  },
  'identity.add': { scope: 'vm', fields: ['identity'], run: ({ p, vm }) => edit(vm, (profile) => withIdentityAdded(profile, p.required('identity'))).identity },
  'identity.remove': { scope: 'vm', fields: ['identity'], run: ({ p, vm }) => edit(vm, (profile) => withIdentityRemoved(profile, p.required('identity'))).identity },
  'loadbalancer.set': {
    scope: 'vm',
    fields: ['loadBalancer'],
    run: ({ p, vm }) => {
      if (!Object.hasOwn(p.value, 'loadBalancer')) throw fieldError('loadBalancer', 'is required (null removes the load balancer)');
      return { loadBalancer: edit(vm, (profile) => withLoadBalancer(profile, p.value['loadBalancer'])).loadBalancer };
    },
  },

  // The log without `vm` covers every VM of the daemon.
  'log.query': { scope: 'daemon', fields: LOG_FILTER_KEYS, run: ({ p, namedVm, ctx }) => ({ entries: ctx.log.query(readLogFilter(p, namedVm)), lastSeq: ctx.log.lastSeq }) },
  'log.follow': { scope: 'daemon', streaming: true, fields: LOG_FILTER_KEYS, run: follow },
  'log.unfollow': {
    scope: 'daemon',
    fields: ['stream'],
    run: ({ p, session }) => {
      const raw = p.required('stream');
      const key = String(raw);
      const stop = session.streams.get(key);
      if (!stop) throw new ControlError(CONTROL_ERROR_CODES.notFound, `stream: no open stream ${JSON.stringify(raw)} on this connection`, { field: 'stream' });
      stop();
      session.streams.delete(key);
      return { stopped: raw };
    },
  },
} as const satisfies Readonly<Record<string, Operation>>;

export type OperationName = keyof typeof OPERATIONS;
/** What an operation answers (the `result` of its reply). */
export type OperationResult<K extends OperationName> = Awaited<ReturnType<(typeof OPERATIONS)[K]['run']>>;

export const OPERATION_NAMES = Object.keys(OPERATIONS) as readonly OperationName[];

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(OPERATIONS, name);
}
