// Control plane against a running LAB, in library mode: `startLab` from the package entry (src/lib.ts) with
// a virtual clock. Each operation is checked from the VM side (curl in the VM namespace) and in the request
// log: HTTP fault, network fault, a 70 s S14 timeline in well under a second, a scheduled event acknowledged
// by the app's POST, an identity removed; TCP retransmission while the virtual clock is frozen; the control
// socket is owner-only and refused from the VM namespace; `imds-lab ctl --lab` works from the root namespace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startLab, type Lab } from '../src/lib.ts';
import { exec, MAIN } from './helpers/lab-cli.ts';
import { privilegedSkipReason, uniqueSuffix } from './helpers/netns.ts';

const skip = privilegedSkipReason();
const IMDS = 'http://169.254.169.254';
const INSTANCE = `${IMDS}/metadata/instance?api-version=2021-02-01`;
const EVENTS = `${IMDS}/metadata/scheduledevents?api-version=2020-07-01`;

describe('control plane on a running lab (library mode, virtual clock)', { skip }, () => {
  let lab: Lab;
  let runDir: string;
  const name = `c${uniqueSuffix()}`.slice(0, 12);
  /** curl in the VM namespace: status code and body. */
  const curl = async (url: string, extra: readonly string[] = []): Promise<{ code: number; status: number; body: string }> => {
    const r = await lab.exec(['curl', '-sS', '-m', '3', '-H', 'Metadata: true', ...extra, '-w', '\n%{http_code}', url]);
    const cut = r.stdout.lastIndexOf('\n');
    return { code: r.code, status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
  };
  const lastEntry = async (path: string) => {
    const entries = await lab.requests({ path });
    assert.ok(entries.length > 0, `a request-log entry for ${path}`);
    return entries.at(-1)!;
  };

  before(async () => {
    runDir = mkdtempSync(join(tmpdir(), 'imds-control-lab-'));
    lab = await startLab({ name, virtualClock: true, runDir });
  });
  after(async () => {
    await lab?.close();
    rmSync(runDir, { recursive: true, force: true });
    const left = (await exec(['ip', 'netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`${name}-`));
    assert.deepEqual(left, [], 'the lab namespaces are gone');
  });

  it('an HTTP fault answers the VM once, with the route error body, and is logged with its fault id', async () => {
    const { id } = await lab.ctl.addFault({ path: '/metadata/instance', status: 503, count: 1 });
    const faulted = await curl(INSTANCE);
    assert.equal(faulted.status, 503, faulted.body);
    assert.equal(faulted.body, '{"error":"Service unavailable"}');
    const entry = await lastEntry('/metadata/instance');
    assert.deepEqual([entry.status, entry.rule, entry.faultId, entry.remoteAddress], [503, 'fault', id, '10.1.0.4']);
    assert.equal((await curl(INSTANCE)).status, 200, 'count=1: the next request is served');
  });

  it('a network fault (black hole) makes the VM time out; clear restores service', async () => {
    const before = (await lab.requests()).length;
    await lab.ctl.setNetFaults('black-hole');
    const dark = await curl(INSTANCE, ['-m', '1']);
    assert.equal(dark.code, 28, `curl exit ${dark.code}: a black hole times out`);
    assert.equal((await lab.requests()).length, before, 'no HTTP request reached the responder');
    await lab.ctl.clearNetFaults();
    assert.equal((await curl(INSTANCE)).status, 200);
  });

  it('a 70 s timeline (refuse 5 s, 410 70 s, 404 10 s, ok) runs on the virtual clock in well under a second', async () => {
    const started = performance.now();
    await lab.ctl.startTimeline({ name: 's14', phases: [{ duration: '5s', refuse: true }, { duration: '70s', status: 410 }, { duration: '10s', status: 404 }, {}] });
    assert.equal((await curl(INSTANCE)).code, 7, 'refused: ECONNREFUSED');
    await lab.ctl.advanceClock('5s');
    assert.equal((await curl(INSTANCE)).status, 410);
    await lab.ctl.advanceClock('69s');
    const late = await curl(INSTANCE);
    assert.deepEqual([late.status, late.body], [410, '{"error":"Gone"}'], 'still 410 after 74 s');
    await lab.ctl.advanceClock('1s');
    assert.equal((await curl(INSTANCE)).status, 404);
    await lab.ctl.advanceClock('10s');
    assert.equal((await curl(INSTANCE)).status, 200);
    const wallMs = performance.now() - started;
    const status = await lab.ctl.timelineStatus();
    assert.deepEqual(status.history.map((h) => h.phase), [0, 1, 2, 3]);
    await lab.ctl.stopTimeline();
    const log = (await lab.requests({ path: '/metadata/instance' })).slice(-4).map((e) => e.status);
    assert.deepEqual(log, [410, 410, 404, 200]);
    // 85 s of IMDS time; the wall time is the curls' (~tens of ms each).
    assert.ok(wallMs < 5000, `the 85 s story took ${wallMs.toFixed(0)} ms of wall time`);
  });

  it('TCP retransmission works while the virtual clock is frozen (the stack runs on the real clock)', async () => {
    const table = ['nft', 'add', 'table', 'ip', 'dropdata'];
    await lab.run(table);
    try {
      await lab.run(['nft', 'add', 'chain', 'ip', 'dropdata', 'in', '{ type filter hook input priority 0 ; policy accept ; }']);
      // The VM drops IMDS's data segments (not the SYN-ACK or pure ACKs) until the rule is removed.
      await lab.run(['nft', 'add', 'rule', 'ip', 'dropdata', 'in', 'ip', 'saddr', '169.254.169.254', 'ip', 'length', '>', '100', 'counter', 'drop']);
      const frozen = await lab.ctl.clock();
      const pending = curl(INSTANCE, ['-m', '8']);
      await sleep(600);
      const counters = await lab.run(['nft', 'list', 'table', 'ip', 'dropdata']);
      await lab.run(['nft', 'delete', 'table', 'ip', 'dropdata']);
      const r = await pending;
      const dropped = Number(/packets (\d+)/.exec(counters)?.[1] ?? 0);
      assert.ok(dropped >= 1, `the first data segment(s) were dropped (counter: ${dropped})`);
      assert.equal(r.status, 200, `retransmitted after the real RTO (curl exit ${r.code})`);
      assert.equal((await lab.ctl.clock()).now, frozen.now, 'the virtual clock did not move');
    } finally {
      await lab.exec(['nft', 'delete', 'table', 'ip', 'dropdata']);
    }
  });

  it("a scheduled event is acknowledged by the app's POST: Started, incarnation +1, ack from the VM", async () => {
    const added = await lab.ctl.addEvent({ eventType: 'Freeze', notBeforeIn: '15m' });
    const seen = await curl(EVENTS);
    const doc = JSON.parse(seen.body) as { DocumentIncarnation: number; Events: { EventId: string; EventStatus: string }[] };
    assert.equal(doc.DocumentIncarnation, added.documentIncarnation);
    const event = doc.Events.find((e) => e.EventId === added.event.eventId);
    assert.equal(event?.EventStatus, 'Scheduled', 'the app sees the event');
    const post = await curl(EVENTS, ['-X', 'POST', '-d', JSON.stringify({ StartRequests: [{ EventId: added.event.eventId }] })]);
    assert.equal(post.status, 200);
    const after = await lab.ctl.listEvents();
    assert.equal(after.documentIncarnation, added.documentIncarnation + 1);
    assert.equal(after.events.find((e) => e.eventId === added.event.eventId)?.eventStatus, 'Started');
    const ack = (await lab.ctl.acknowledgements()).find((a) => a.eventId === added.event.eventId);
    assert.deepEqual([ack?.remoteAddress, ack?.known, ack?.started], ['10.1.0.4', true, true]);
    const entry = await lastEntry('/metadata/scheduledevents');
    assert.deepEqual([entry.method, entry.status], ['POST', 200]);
  });

  it('an identity removed at runtime: the token request answers 400 "Identity not found"', async () => {
    const clientId = '6e8b2c4a-1f3d-4b5e-8a7c-9d0e1f2a3b4c';
    const token = `${IMDS}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&client_id=${clientId}`;
    assert.equal((await curl(token)).status, 200, 'the user-assigned identity exists');
    await lab.ctl.removeIdentity({ clientId });
    const gone = await curl(token);
    assert.deepEqual([gone.status, gone.body], [400, '{"error":"invalid_request","error_description":"Identity not found"}']);
    const entry = await lastEntry('/metadata/identity/oauth2/token');
    assert.deepEqual([entry.status, entry.rule], [400, 'identity-identityNotFound']);
  });

  it('the control socket is owner-only and answers neither the VM namespace nor the root namespace directly', async () => {
    const socket = lab.state.controlSocket;
    assert.equal(statSync(socket).mode & 0o777, 0o600, 'socket 0600');
    assert.equal(statSync(dirname(socket)).mode & 0o777, 0o700, 'directory 0700');
    assert.equal(statSync(socket).uid, process.getuid!(), 'owned by the daemon user');
    const fromVm = await lab.exec([process.execPath, '--import', 'tsx', MAIN, 'ctl', '--socket', socket, 'fault', 'clear']);
    assert.equal(fromVm.code, 1, fromVm.stderr);
    assert.match(fromVm.stderr, /another network namespace/);
    const fromRoot = await exec([process.execPath, '--import', 'tsx', MAIN, 'ctl', '--socket', socket, 'ping']);
    assert.equal(fromRoot.code, 1, fromRoot.stderr);
    assert.match(fromRoot.stderr, /another network namespace/);
  });

  it('imds-lab ctl --lab NAME runs itself in the host namespace and reaches the lab', async () => {
    const env = { ...process.env, IMDS_LAB_RUN_DIR: runDir };
    const r = await exec([process.execPath, '--import', 'tsx', MAIN, 'ctl', '--lab', name, 'log', '--path', '/metadata/identity', '--limit', '1'], { env });
    assert.equal(r.code, 0, r.stderr);
    const entry = JSON.parse(r.stdout.trim()) as { status: number; remoteAddress: string };
    assert.deepEqual([entry.status, entry.remoteAddress], [400, '10.1.0.4']);
    const ping = await exec([process.execPath, '--import', 'tsx', MAIN, 'ctl', '--lab', name, 'ping'], { env });
    assert.equal(ping.code, 0, ping.stderr);
    assert.equal((JSON.parse(ping.stdout) as { virtualClock: boolean }).virtualClock, true);
  });
});
