// Per-VM scheduled-events state (imds-spec §10): the event list and DocumentIncarnation, seeded from the
// profile; POST approvals move events to Started; methods for a control plane add, advance and remove events.
import type { ScheduledEventProfile, VmProfile } from '../config/vm-profile.ts';
import type { Clock } from '../util/clock.ts';
import { ImdsLabError } from '../util/errors.ts';

export class ScheduledEventsError extends ImdsLabError {}

export interface ScheduledEventsSnapshot {
  readonly documentIncarnation: number;
  readonly events: readonly ScheduledEventProfile[];
}

/** One EventId of one POST, as received. */
export interface Acknowledgement {
  readonly eventId: string;
  /** Wall-clock time of the POST (ISO 8601). */
  readonly at: string;
  readonly remoteAddress: string;
  /** False when no current event had this id (still answered 200, imds-spec §10.4). */
  readonly known: boolean;
  /** True when this POST moved the event from Scheduled to Started. */
  readonly started: boolean;
}

const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export class ScheduledEventsState {
  private incarnation: number;
  private events: ScheduledEventProfile[];
  private readonly acks: Acknowledgement[] = [];
  private readonly clock: Clock;

  constructor(initial: VmProfile['scheduledEvents'], clock: Clock) {
    this.incarnation = initial.documentIncarnation;
    this.events = [...initial.events];
    this.clock = clock;
  }

  snapshot(): ScheduledEventsSnapshot {
    return { documentIncarnation: this.incarnation, events: [...this.events] };
  }

  /**
   * Approves events (POST StartRequests): each Scheduled event named moves to Started with NotBefore "";
   * DocumentIncarnation increases once if anything changed. EventIds compare case-insensitively.
   */
  start(eventIds: readonly string[], remoteAddress = ''): { readonly started: string[]; readonly unknown: string[] } {
    const started: string[] = [];
    const unknown: string[] = [];
    const at = new Date(this.clock.wallTime()).toISOString();
    for (const eventId of eventIds) {
      const index = this.events.findIndex((e) => sameId(e.eventId, eventId));
      const event = index >= 0 ? this.events[index] : undefined;
      const moves = event !== undefined && event.eventStatus === 'Scheduled';
      if (event && moves) {
        this.events[index] = { ...event, eventStatus: 'Started', notBefore: '' };
        started.push(event.eventId);
      }
      if (!event) unknown.push(eventId);
      this.acks.push({ eventId, at, remoteAddress, known: event !== undefined, started: moves });
    }
    if (started.length > 0) this.incarnation++;
    return { started, unknown };
  }

  /** Publishes a new event (control plane); its id must be new. */
  addEvent(event: ScheduledEventProfile): void {
    if (this.events.some((e) => sameId(e.eventId, event.eventId))) {
      throw new ScheduledEventsError('ERR_DUPLICATE_EVENT', `scheduled event ${event.eventId} already exists`);
    }
    this.events.push(event);
    this.incarnation++;
  }

  /** Moves an event one step on: Scheduled → Started (NotBefore ""), Started → removed (completed). */
  advance(eventId: string): 'started' | 'removed' {
    const index = this.events.findIndex((e) => sameId(e.eventId, eventId));
    const event = this.events[index];
    if (!event) throw new ScheduledEventsError('ERR_UNKNOWN_EVENT', `no scheduled event ${eventId}`);
    this.incarnation++;
    if (event.eventStatus === 'Scheduled') {
      this.events[index] = { ...event, eventStatus: 'Started', notBefore: '' };
      return 'started';
    }
    this.events.splice(index, 1);
    return 'removed';
  }

  /** Removes an event at once; returns false when there was none. */
  removeEvent(eventId: string): boolean {
    const index = this.events.findIndex((e) => sameId(e.eventId, eventId));
    if (index < 0) return false;
    this.events.splice(index, 1);
    this.incarnation++;
    return true;
  }

  /** Every EventId received by POST, in order, with its time. */
  acknowledgements(): readonly Acknowledgement[] {
    return [...this.acks];
  }
}
