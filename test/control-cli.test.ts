// `imds-lab ctl` against a spawned `imds-lab serve --control-socket … --virtual-clock` on 127.0.0.1:
// the CLI words map to control requests, and their effects show in real HTTP answers and in `ctl log`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, run, startServe, tempStateDir, type ServeProcess } from './helpers/serve-process.ts';
import { runCliCaptured, type CliResult } from './helpers/cli-capture.ts';
import { request } from './helpers/control-harness.ts';

let state: { path: string; remove(): Promise<void> };
let serve: ServeProcess;
let socket: string;

before(async () => {
  state = await tempStateDir();
  socket = join(state.path, 'ctl', 'control.sock');
  serve = await startServe(state.path, ['--no-rate-limit', '--control-socket', socket, '--virtual-clock']);
});
after(async () => {
  await serve.stop();
  await state.remove();
});

const ctl = (...args: string[]): Promise<CliResult> => runCliCaptured(['ctl', '--socket', socket, ...args]);

const get = (path: string, options: { method?: string; body?: string } = {}) => request({ host: '127.0.0.1', port: serve.port }, path, options);

test('serve --control-socket creates the socket 0600 in a 0700 directory', async () => {
  assert.equal((await stat(socket)).mode & 0o777, 0o600);
  assert.equal((await stat(join(state.path, 'ctl'))).mode & 0o777, 0o700);
});

test('ctl fault add / list / clear change what clients get', async () => {
  const added = await ctl('fault', 'add', 'path=/metadata/instance,status=503,count=1');
  assert.equal(added.code, 0, added.stderr);
  assert.equal((JSON.parse(added.stdout) as { fault: { status: number } }).fault.status, 503);
  assert.equal((await get('/metadata/instance?api-version=2021-02-01')).status, 503);
  assert.equal((await get('/metadata/instance?api-version=2021-02-01')).status, 200);
  const listed = JSON.parse((await ctl('fault', 'list')).stdout) as { applied: number }[];
  assert.equal(listed[0]!.applied, 1);
  const log = await ctl('log', '--path', '/metadata/instance', '--limit', '2');
  const lines = log.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: number; rule: string });
  assert.deepEqual(lines.map((e) => [e.status, e.rule]), [[503, 'fault'], [200, 'handler']]);
  // clear: a fault that would answer every request is gone, and clients are served again.
  assert.equal((await ctl('fault', 'add', 'path=/metadata/instance,status=500')).code, 0);
  assert.equal((await get('/metadata/instance?api-version=2021-02-01')).status, 500);
  const cleared = await ctl('fault', 'clear');
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.deepEqual(JSON.parse(cleared.stdout), { cleared: 2 });
  assert.deepEqual(JSON.parse((await ctl('fault', 'list')).stdout), []);
  assert.equal((await get('/metadata/instance?api-version=2021-02-01')).status, 200);
});

test('ctl timeline start with the compact phase form, driven by ctl clock advance', async () => {
  const started = await ctl('timeline', 'start', '--path', '/metadata', 'refuse:5s', '410:70s', '404:10s', 'ok');
  assert.equal(started.code, 0, started.stderr);
  await assert.rejects(get('/metadata/versions'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  assert.equal((await ctl('clock', 'advance', '5s')).code, 0);
  assert.equal((await get('/metadata/versions')).status, 410);
  await ctl('clock', 'advance', '70s');
  assert.equal((await get('/metadata/versions')).status, 404);
  await ctl('clock', 'advance', '10s');
  assert.equal((await get('/metadata/versions')).status, 200);
  const status = JSON.parse((await ctl('timeline', 'status')).stdout) as { label: string; history: unknown[] };
  assert.equal(status.label, 'normal');
  assert.equal(status.history.length, 4);
  await ctl('timeline', 'stop');
});

test('ctl events add / acks / advance and tags, user data, identity', async () => {
  const added = JSON.parse((await ctl('events', 'add', 'Freeze', '--in', '15m', '--duration-seconds', '5')).stdout) as { event: { eventId: string }; documentIncarnation: number };
  await get('/metadata/scheduledevents?api-version=2020-07-01', { method: 'POST', body: JSON.stringify({ StartRequests: [{ EventId: added.event.eventId }] }) });
  const acks = JSON.parse((await ctl('events', 'acks')).stdout) as { eventId: string; started: boolean }[];
  assert.deepEqual(acks.map((a) => [a.eventId, a.started]), [[added.event.eventId, true]]);
  const doc = JSON.parse((await get('/metadata/scheduledevents?api-version=2020-07-01')).body) as { DocumentIncarnation: number };
  assert.equal(doc.DocumentIncarnation, added.documentIncarnation + 1);
  assert.equal(JSON.parse((await ctl('events', 'advance', added.event.eventId)).stdout).result, 'removed');

  assert.equal((await ctl('tags', 'set', 'owner=lab', 'tier=gold')).code, 0);
  assert.equal((await get('/metadata/instance/compute/tags?api-version=2021-02-01&format=text')).body, 'owner:lab;tier:gold');
  assert.equal((await ctl('user-data', 'set', 'hello')).code, 0);
  assert.equal((await get('/metadata/instance/compute/userData?api-version=2021-01-01&format=text')).body, Buffer.from('hello').toString('base64'));
  assert.equal((await ctl('identity', 'remove', 'system')).code, 0);
  const token = await get('/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net');
  assert.match(token.body, /Multiple user assigned identities exist/);
});

test('ctl errors are clear and exit 1; the real binary works too', async () => {
  const bad = await ctl('events', 'add', 'Pause');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /event\.eventType: must be one of/);
  const net = await ctl('net', 'set', 'black-hole');
  assert.equal(net.code, 1);
  assert.match(net.stderr, /tun capture/);
  const unknown = await ctl('frobnicate');
  assert.equal(unknown.code, 2, 'a usage error');
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const spawned = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'ctl', '--socket', socket, 'clock', 'show'], { cwd: REPO_ROOT });
  assert.equal(spawned.code, 0, spawned.stderr);
  const clock = JSON.parse(spawned.stdout) as { virtual: boolean; now: number };
  assert.equal(clock.virtual, true);
  assert.equal(clock.now, 85_000);
});
