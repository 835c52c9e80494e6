// ScheduledEventsState: approvals, incarnation, control-plane moves, acknowledgements.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scheduledEvent } from '../../test/helpers/scheduled-event-fixture.ts';
import { FakeClock } from '../util/clock.ts';
import { ScheduledEventsError, ScheduledEventsState } from './scheduled-events-state.ts';

const event = scheduledEvent;

describe('ScheduledEventsState', () => {
  it('start() moves a Scheduled event to Started with NotBefore "" and bumps the incarnation once', () => {
    const clock = new FakeClock({ wallTime: Date.UTC(2026, 3, 11, 22, 0, 0) });
    const state = new ScheduledEventsState({ documentIncarnation: 2, events: [event('AAA'), event('BBB')] }, clock);
    const result = state.start(['aaa', 'BBB', 'nope'], '10.1.0.4');
    assert.deepEqual(result, { started: ['AAA', 'BBB'], unknown: ['nope'] });
    const snap = state.snapshot();
    assert.equal(snap.documentIncarnation, 3);
    assert.deepEqual(snap.events.map((e) => [e.eventStatus, e.notBefore]), [['Started', ''], ['Started', '']]);
    assert.deepEqual(
      state.acknowledgements().map((a) => [a.eventId, a.known, a.started, a.at, a.remoteAddress]),
      [
        ['aaa', true, true, '2026-04-11T22:00:00.000Z', '10.1.0.4'],
        ['BBB', true, true, '2026-04-11T22:00:00.000Z', '10.1.0.4'],
        ['nope', false, false, '2026-04-11T22:00:00.000Z', '10.1.0.4'],
      ],
    );
  });

  it('approving an already Started (or unknown) event changes nothing', () => {
    const state = new ScheduledEventsState({ documentIncarnation: 1, events: [event('A', { eventStatus: 'Started', notBefore: '' })] }, new FakeClock());
    state.start(['A', 'Z']);
    assert.equal(state.snapshot().documentIncarnation, 1);
    assert.equal(state.acknowledgements().length, 2);
  });

  it('addEvent / advance / removeEvent change the document and the incarnation', () => {
    const state = new ScheduledEventsState({ documentIncarnation: 0, events: [] }, new FakeClock());
    state.addEvent(event('E1'));
    assert.equal(state.snapshot().documentIncarnation, 1);
    assert.throws(() => state.addEvent(event('e1')), ScheduledEventsError);
    assert.equal(state.advance('E1'), 'started');
    assert.equal(state.snapshot().events[0]?.eventStatus, 'Started');
    assert.equal(state.advance('E1'), 'removed');
    assert.deepEqual(state.snapshot(), { documentIncarnation: 3, events: [] });
    assert.throws(() => state.advance('E1'), /no scheduled event E1/);
    state.addEvent(event('E2'));
    assert.equal(state.removeEvent('E2'), true);
    assert.equal(state.removeEvent('E2'), false);
    assert.equal(state.snapshot().documentIncarnation, 5);
  });

  it('does not share arrays with the profile it was seeded from', () => {
    const events = Object.freeze([event('A')]);
    const state = new ScheduledEventsState({ documentIncarnation: 0, events }, new FakeClock());
    state.start(['A']);
    assert.equal(events[0]?.eventStatus, 'Scheduled');
  });
});
