// The control operations (one function per op name): HTTP faults, network faults, timelines, the virtual
// clock, scheduled events, profile changes and request-log queries. The server parses envelopes and calls here.
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

type Operation = (p: Params, vm: ControlledVm, ctx: OperationContext) => unknown;

function notFound(field: string, message: string): ControlError {
  return new ControlError(CONTROL_ERROR_CODES.notFound, message, { field });
}

function faultId(p: Params): number {
  return p.integer('faultId', 1, Number.MAX_SAFE_INTEGER);
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

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  ping: (p, _vm, ctx) => (p.only([]), { pong: true, version: CONTROL_PROTOCOL_VERSION, vms: [...ctx.vms.keys()], virtualClock: ctx.virtualClock !== undefined }),
  'vm.list': (p, _vm, ctx) => (p.only([]), [...ctx.vms.values()].map((v) => ({ name: v.name, capture: v.capture, netFaults: v.net !== undefined, canRefuse: v.net !== undefined || v.listener !== undefined }))),

  'fault.add': (p, vm) => {
    p.only(['fault']);
    const fault = readHttpFault(p.required('fault'), 'fault');
    return { id: vm.faults.add(fault), fault };
  },
  'fault.list': (p, vm) => (p.only([]), vm.faults.list()),
  'fault.remove': (p, vm) => {
    p.only(['faultId']);
    const id = faultId(p);
    if (!vm.faults.remove(id)) throw notFound('faultId', `faultId: no HTTP fault ${id} on VM ${vm.name}`);
    return { removed: id };
  },
  'fault.clear': (p, vm) => {
    p.only([]);
    const count = vm.faults.list().length;
    vm.faults.clear();
    return { cleared: count };
  },

  'net.set': (p, vm) => {
    p.only(['faults']);
    const spec = p.string('faults').trim();
    if (spec === '') throw fieldError('faults', 'must be a --net-fault spec or a persona (black-hole, refuse, icmp, lossy, stall, rst, drop-syn=P, loss=P…)');
    return { faults: requireNet(vm).set(netSpecOf(spec)) };
  },
  'net.clear': (p, vm) => (p.only([]), requireNet(vm).clear(), { faults: requireNet(vm).current() }),
  'net.get': (p, vm) => (p.only([]), { faults: requireNet(vm).current() }),

  'timeline.start': async (p, vm, ctx) => {
    p.only(['timeline', 'replace']);
    const spec = readTimeline(p.required('timeline'));
    const run = await ctx.timelines.start(vm, spec, ctx.clock, p.optionalBoolean('replace') ?? false);
    return run.status();
  },
  'timeline.status': (p, vm, ctx) => {
    p.only([]);
    const run = ctx.timelines.get(vm.name);
    if (!run) throw notFound('vm', `VM ${vm.name} has run no timeline`);
    return run.status();
  },
  'timeline.stop': async (p, vm, ctx) => {
    p.only([]);
    const run = ctx.timelines.get(vm.name);
    if (!run) throw notFound('vm', `VM ${vm.name} has run no timeline`);
    await run.stop();
    return run.status();
  },

  'clock.get': (p, _vm, ctx) => (p.only([]), clockView(ctx)),
  'clock.advance': async (p, _vm, ctx) => {
    p.only(['by']);
    const ms = parseDuration(p.required('by'), 'by');
    if (!ctx.virtualClock) throw new ControlError(CONTROL_ERROR_CODES.unsupported, 'the daemon runs on the real clock; start it with a virtual clock (serve --virtual-clock) to advance time', { field: 'by' });
    if (ms > 366 * 86_400_000) throw fieldError('by', 'at most 366 days at once');
    ctx.virtualClock.advance(ms);
    await ctx.timelines.idle();
    return clockView(ctx);
  },

  'events.list': (p, vm) => (p.only([]), vm.context.scheduledEvents.snapshot()),
  'events.add': (p, vm, ctx) => {
    p.only(['event']);
    const event = readScheduledEvent(p.required('event'), vm.name, ctx.clock);
    vm.context.scheduledEvents.addEvent(event);
    return { event, documentIncarnation: vm.context.scheduledEvents.snapshot().documentIncarnation };
  },
  'events.advance': (p, vm) => {
    p.only(['eventId']);
    const eventId = p.string('eventId');
    const result = vm.context.scheduledEvents.advance(eventId);
    return { eventId, result, documentIncarnation: vm.context.scheduledEvents.snapshot().documentIncarnation };
  },
  'events.remove': (p, vm) => {
    p.only(['eventId']);
    const eventId = p.string('eventId');
    if (!vm.context.scheduledEvents.removeEvent(eventId)) throw notFound('eventId', `eventId: no scheduled event ${eventId} on VM ${vm.name}`);
    return { removed: eventId, documentIncarnation: vm.context.scheduledEvents.snapshot().documentIncarnation };
  },
  'events.acks': (p, vm) => (p.only([]), vm.context.scheduledEvents.acknowledgements()),

  'profile.get': (p, vm) => (p.only([]), vm.context.profile()),
  'profile.set': (p, vm) => {
    p.only(['profile']);
    vm.setProfile(checked(p.required('profile'), 'profile.set'));
    return { ok: true };
  },
  'tags.set': (p, vm) => {
    p.only(['tags']);
    const next = withTags(vm.context.profile(), readTags(p.required('tags'), 'tags'));
    vm.setProfile(next);
    return { tags: next.instance.compute['tags'], tagsList: next.instance.compute['tagsList'] };
  },
  'userdata.set': (p, vm) => {
    p.only(['userData', 'encoding']);
    const encoding = p.has('encoding') ? p.oneOf('encoding', ['base64', 'text'] as const) : 'base64';
    const next = withUserData(vm.context.profile(), p.string('userData'), encoding);
    vm.setProfile(next);
    return { userData: next.instance.compute['userData'] };
  },
  'identity.add': (p, vm) => {
    p.only(['identity']);
    const next = withIdentityAdded(vm.context.profile(), p.required('identity'));
    vm.setProfile(next);
    return next.identity;
  },
  'identity.remove': (p, vm) => {
    p.only(['identity']);
    const next = withIdentityRemoved(vm.context.profile(), p.required('identity'));
    vm.setProfile(next);
    return next.identity;
  },
  'loadbalancer.set': (p, vm) => {
    p.only(['loadBalancer']);
    if (!Object.hasOwn(p.value, 'loadBalancer')) throw fieldError('loadBalancer', 'is required (null removes the load balancer)');
    const next = withLoadBalancer(vm.context.profile(), p.value['loadBalancer']);
    vm.setProfile(next);
    return { loadBalancer: next.loadBalancer };
  },

  'log.query': (p, vm, ctx) => {
    p.only([...LOG_FILTER_KEYS]);
    return { entries: ctx.log.query(readLogFilter(p, vm.name)), lastSeq: ctx.log.lastSeq };
  },
};

/** Streaming operations, handled by the server (they answer, then send events tagged with the request id). */
export const STREAM_OPERATIONS = ['log.follow', 'log.unfollow'] as const;

export const OPERATION_NAMES: readonly string[] = [...Object.keys(OPERATIONS), ...STREAM_OPERATIONS];
