// Scheduled events GET rendering per SE api-version and POST approvals (imds-spec §10).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultProfileDocument } from '../config/default-profile.ts';
import type { ImdsRequest } from '../http/imds-request.ts';
import { HttpError } from '../http/http-error.ts';
import { FakeClock } from '../util/clock.ts';
import type { ImdsContext } from './imds-context.ts';
import { INSTANCE_ENDPOINT_BODIES } from '../http/error-bodies.ts';
import { handleScheduledEvents, parseStartRequests } from './scheduled-events-handler.ts';
import { ScheduledEventsState } from './scheduled-events-state.ts';
import { scheduledEvent as event } from '../../test/helpers/scheduled-event-fixture.ts';

function context(state: ScheduledEventsState): ImdsContext {
  const profile = defaultProfileDocument();
  // Only the fields the scheduled-events handler reads.
  return { profile: () => profile, clock: new FakeClock(), scheduledEvents: state } as unknown as ImdsContext;
}

function request(method: string, apiVersion: string, body = ''): ImdsRequest {
  return { method, path: '/metadata/scheduledevents', query: new Map([['api-version', apiVersion]]), headers: {}, body: Buffer.from(body), remoteAddress: '10.1.0.4', apiVersion };
}

const DOC_EVENT = event('C7061BAC-AFDC-4513-B24B-AA5F13A16123', {
  resources: ['WestNO_0', 'WestNO_1'],
  description: 'Virtual machine is being paused because of a memory-preserving Live Migration operation.',
});

describe('GET /metadata/scheduledevents', () => {
  it('2020-07-01 reproduces the documented example byte for byte (key order, integer types)', () => {
    const ctx = context(new ScheduledEventsState({ documentIncarnation: 2, events: [DOC_EVENT] }, new FakeClock()));
    const res = handleScheduledEvents(request('GET', '2020-07-01'), ctx);
    assert.equal(res.status, 200);
    assert.equal(
      res.body,
      '{"DocumentIncarnation":2,"Events":[{"EventId":"C7061BAC-AFDC-4513-B24B-AA5F13A16123","EventStatus":"Scheduled","EventType":"Freeze","ResourceType":"VirtualMachine","Resources":["WestNO_0","WestNO_1"],"NotBefore":"Mon, 11 Apr 2026 22:26:58 GMT","Description":"Virtual machine is being paused because of a memory-preserving Live Migration operation.","EventSource":"Platform","DurationInSeconds":5}]}',
    );
  });

  it('drops fields newer than the SE version: Description 2019-04-01, EventSource 2019-08-01, DurationInSeconds 2020-07-01', () => {
    const ctx = context(new ScheduledEventsState({ documentIncarnation: 1, events: [DOC_EVENT] }, new FakeClock()));
    const keys = (v: string) => Object.keys(JSON.parse(handleScheduledEvents(request('GET', v), ctx).body as string).Events[0]);
    const base = ['EventId', 'EventStatus', 'EventType', 'ResourceType', 'Resources', 'NotBefore'];
    assert.deepEqual(keys('2019-01-01'), base);
    assert.deepEqual(keys('2019-04-01'), [...base, 'Description']);
    assert.deepEqual(keys('2019-08-01'), [...base, 'Description', 'EventSource']);
    assert.deepEqual(keys('2020-07-01'), [...base, 'Description', 'EventSource', 'DurationInSeconds']);
  });

  it('hides event types the version does not know (Preempt < 2017-11-01, Terminate < 2019-01-01)', () => {
    const ctx = context(new ScheduledEventsState({ documentIncarnation: 1, events: [event('P', { eventType: 'Preempt' }), event('T', { eventType: 'Terminate' })] }, new FakeClock()));
    const ids = (v: string) => JSON.parse(handleScheduledEvents(request('GET', v), ctx).body as string).Events.map((e: { EventId: string }) => e.EventId);
    assert.deepEqual(ids('2017-08-01'), []);
    assert.deepEqual(ids('2017-11-01'), ['P']);
    assert.deepEqual(ids('2019-01-01'), ['P', 'T']);
  });

  it('the 2017-03-01 preview prefixes resource names with "_" and calls Freeze "Pause"; 2017-08-01 does not', () => {
    const ctx = context(new ScheduledEventsState({ documentIncarnation: 1, events: [DOC_EVENT, event('R', { eventType: 'Reboot', resources: ['vm'] })] }, new FakeClock()));
    const events = (v: string) =>
      JSON.parse(handleScheduledEvents(request('GET', v), ctx).body as string).Events.map((e: { EventType: string; Resources: string[] }) => [e.EventType, e.Resources]);
    assert.deepEqual(events('2017-03-01'), [['Pause', ['_WestNO_0', '_WestNO_1']], ['Reboot', ['_vm']]]);
    assert.deepEqual(events('2017-08-01'), [['Freeze', ['WestNO_0', 'WestNO_1']], ['Reboot', ['vm']]]);
  });

  it('an empty schedule is {"DocumentIncarnation":0,"Events":[]}', () => {
    const ctx = context(new ScheduledEventsState({ documentIncarnation: 0, events: [] }, new FakeClock()));
    assert.equal(handleScheduledEvents(request('GET', '2020-07-01'), ctx).body, '{"DocumentIncarnation":0,"Events":[]}');
  });
});

describe('POST /metadata/scheduledevents', () => {
  it('starts the named events; the next GET shows Started, NotBefore "" and incarnation + 1', () => {
    const state = new ScheduledEventsState({ documentIncarnation: 2, events: [DOC_EVENT] }, new FakeClock());
    const ctx = context(state);
    const post = handleScheduledEvents(request('POST', '2020-07-01', '{"StartRequests":[{"EventId":"c7061bac-afdc-4513-b24b-aa5f13a16123"}]}'), ctx);
    assert.equal(post.status, 200);
    assert.equal(post.body, '');
    const doc = JSON.parse(handleScheduledEvents(request('GET', '2020-07-01'), ctx).body as string);
    assert.equal(doc.DocumentIncarnation, 3);
    assert.equal(doc.Events[0].EventStatus, 'Started');
    assert.equal(doc.Events[0].NotBefore, '');
  });

  it('an unknown EventId still answers 200 and is recorded', () => {
    const state = new ScheduledEventsState({ documentIncarnation: 0, events: [] }, new FakeClock());
    const res = handleScheduledEvents(request('POST', '2020-07-01', '{"StartRequests":[{"EventId":"x"}]}'), context(state));
    assert.equal(res.status, 200);
    assert.deepEqual(state.acknowledgements().map((a) => [a.eventId, a.known]), [['x', false]]);
  });

  for (const body of ['', 'not json', '[]', '{}', '{"StartRequests":{}}', '{"StartRequests":[{}]}', '{"StartRequests":[{"EventId":5}]}', '{"StartRequests":["id"]}']) {
    it(`rejects malformed body ${JSON.stringify(body)} with 400`, () => {
      assert.throws(
        () => parseStartRequests(Buffer.from(body)),
        (e: unknown) => e instanceof HttpError && e.status === 400 && e.body === INSTANCE_ENDPOINT_BODIES.malformedStartRequests && e.rule === 'scheduled-events-body',
      );
    });
  }

  it('accepts several StartRequests and an empty list', () => {
    assert.deepEqual(parseStartRequests(Buffer.from('{"StartRequests":[{"EventId":"a"},{"EventId":"b"}]}')), ['a', 'b']);
    assert.deepEqual(parseStartRequests(Buffer.from('{"StartRequests":[]}')), []);
  });
});
