import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connection } from '../../test/helpers/view-facts.ts';
import { buildLadders } from './ladder-model.ts';
import { renderLadderSvg } from './ladder-svg.ts';
import { timelineMarks } from './lab-pages.ts';

const LAB = { name: 'v', scenario: 'proxy-leak', fixed: false, nics: [{ device: 'eth0', ips: ['10.1.0.4'] }], proxy: { ip: '192.168.254.2' }, hostInterfaces: { '2': 'nic0', '5': 'imds0' } };

describe('buildLadders', () => {
  it('draws every SYN of an unanswered connection as dropped, with the times between them', () => {
    const c = connection({ synCount: 3, synUs: [1_000_000, 2_000_000, 4_000_000], synAckUs: null, ackUs: null });
    const [l] = buildLadders([c], null);
    assert.deepEqual(l!.events.map((e) => [e.kind, e.tUs, e.unanswered]), [['syn', 0, true], ['syn', 1_000_000, true], ['syn', 3_000_000, true]]);
    assert.match(l!.events[2]!.detail, /SYN retransmission 2 at \+3\.00 s \(2\.00 s after the previous SYN\): no answer/);
    assert.equal(l!.summary, '3 SYNs, never answered (silently dropped)');
  });

  it('a request through the proxy: api-version, Metadata, X-Forwarded-For, the status and the deciding rule, then FINs', () => {
    const c = connection({
      client: '192.168.254.2',
      exchanges: [{ request: 'GET /metadata/instance?api-version=2021-02-01', requestUs: 1_000_500, status: 403, reason: 'Forbidden', responseUs: 1_002_500, rule: 'x-forwarded-for', headers: { metadata: 'true', xForwardedFor: '10.1.0.4', userAgent: 'curl' } }],
      fins: [{ by: 'server', timeUs: 1_003_000 }],
    });
    const [l] = buildLadders([c], LAB);
    assert.deepEqual(l!.events.map((e) => e.kind), ['syn', 'syn-ack', 'request', 'response', 'fin']);
    const request = l!.events[2]!;
    assert.equal(request.label, 'GET /metadata/instance');
    assert.equal(request.detail, 'GET /metadata/instance?api-version=2021-02-01 (api-version 2021-02-01, Metadata: true, X-Forwarded-For: 10.1.0.4, via the proxy)');
    assert.match(l!.events[3]!.detail, /403 Forbidden after 2\.00 ms; rule x-forwarded-for \(a proxy added X-Forwarded-For\)/);
    assert.deepEqual([request.note, l!.events[3]!.note], ['api 2021-02-01 · Metadata: true · XFF · via proxy', 'rule x-forwarded-for']);
    assert.deepEqual([l!.statuses, l!.client.viaProxy, l!.interfaces], [[403], true, ['nic0', 'imds0']]);
  });

  it('no Metadata header, an HTTP fault mark, a server RST; marks outside the connection are left out', () => {
    const c = connection({
      exchanges: [{ request: 'GET /metadata/versions', requestUs: 1_000_500, status: 500, reason: 'Internal Server Error', responseUs: 1_000_900, rule: 'fault', headers: { metadata: null, xForwardedFor: null, userAgent: null } }],
      resetBy: 'server',
      resetUs: 1_001_000,
    });
    const [l] = buildLadders([c], null, [{ tUs: 1_000_450, label: 'phase 2: 500' }, { tUs: 9_000_000, label: 'later' }]);
    assert.deepEqual(l!.events.map((e) => e.kind), ['syn', 'syn-ack', 'mark', 'request', 'response', 'mark', 'rst']);
    assert.match(l!.events[3]!.detail, /api-version none, no Metadata header, direct/);
    assert.equal(l!.events[5]!.label, 'HTTP fault');
  });

  it('an ICMP net unreachable answers the SYN: an arrow back to the client with its code, sender and text alternative', () => {
    const c = connection({ synAckUs: null, ackUs: null, icmp: [{ timeUs: 1_000_200, from: '10.1.0.1', type: 3, code: 0 }] });
    const [l] = buildLadders([c], null);
    assert.deepEqual(l!.events.map((e) => [e.kind, e.from, e.tUs, e.unanswered]), [['syn', 'client', 0, false], ['icmp', 'server', 200, false]]);
    assert.equal(l!.events[1]!.label, 'ICMP net unreachable (code 0)');
    assert.match(l!.events[0]!.detail, /answered with ICMP net unreachable \(code 0\) from 10\.1\.0\.1/);
    assert.equal(l!.summary, '1 SYN, refused with ICMP net unreachable (code 0) from 10.1.0.1');
    const svg = renderLadderSvg(l!, 'c1');
    assert.match(svg, /<g class="ev ev-icmp" data-kind="icmp" data-t-us="200"><title>ICMP net unreachable \(code 0\) from 10\.1\.0\.1, quoting/);
    assert.match(svg, /<desc id="c1-desc">[^<]*\+0\.20 ms ICMP error to client: ICMP net unreachable \(code 0\) from 10\.1\.0\.1/);
    assert.doesNotMatch(svg, /✕ dropped/);
  });

  it('timeline phases from ctl timeline status become marks drawn on the axis with text alternatives', () => {
    const status = {
      name: 'outage',
      phases: 3,
      history: [
        { phase: 0, label: 'refuse', at: 0, wallTime: new Date(1_000).toISOString() },
        { phase: 1, label: '410', at: 2, wallTime: new Date(1_002).toISOString() },
        { phase: 2, label: 'ok', wallTime: 'not a time' },
      ],
    };
    const marks = timelineMarks(status);
    assert.deepEqual(marks, [{ tUs: 1_000_000, label: 'timeline outage phase 1/3: refuse' }, { tUs: 1_002_000, label: 'timeline outage phase 2/3: 410' }]);
    assert.deepEqual([timelineMarks(null), timelineMarks({ error: 'x' })], [[], []]);
    const c = connection({ synUs: [999_000, 1_001_000], synCount: 2, firstSynUs: 999_000, synAckUs: 1_003_000, ackUs: 1_003_100 });
    const [l] = buildLadders([c], null, marks);
    assert.deepEqual(l!.events.map((e) => e.kind), ['syn', 'mark', 'syn', 'mark', 'syn-ack']);
    const svg = renderLadderSvg(l!, 'c2');
    assert.equal((svg.match(/<g class="ev ev-mark" data-kind="mark"/g) ?? []).length, 2);
    assert.match(svg, /<title>timeline outage phase 2\/3: 410 at \+3\.00 ms<\/title>/);
    assert.match(svg, /⚑ timeline outage phase 1\/3: refuse/);
    assert.match(svg, /<desc id="c2-desc">[^<]*\+1\.00 ms mark: timeline outage phase 1\/3: refuse at \+1\.00 ms/);
  });
});
