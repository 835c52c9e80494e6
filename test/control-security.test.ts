// The control socket's protections: 0600 socket in a 0700 directory, strict and crash-free handling of
// malformed requests, the network-namespace proof (no proof: no service), and a real client in another
// network namespace being refused although it can open the socket file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlServer } from '../src/control/control-server.ts';
import { presentProof } from '../src/control/namespace-proof.ts';
import { LineSplitter } from '../src/control/json-lines.ts';
import { startControlHarness, type ControlHarness } from './helpers/control-harness.ts';
import { floodBeforeProof, type FloodResult } from './helpers/control-flood.ts';
import { REPO_ROOT } from './helpers/serve-process.ts';
import { ip, netnsList, privilegedSkipReason, uniqueSuffix } from './helpers/netns.ts';

let h: ControlHarness;

// The harness makes its own state directory and removes it on close.
before(async () => {
  h = await startControlHarness();
});
after(async () => {
  await h.close();
});

/** A raw protocol session: read lines, write lines. */
async function rawSession(path: string, prove = true): Promise<{ send(line: string): void; next(): Promise<Record<string, unknown>>; socket: net.Socket }> {
  const socket = net.connect({ path });
  const splitter = new LineSplitter();
  const lines: Record<string, unknown>[] = [];
  const waiters: ((v: Record<string, unknown>) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const line of splitter.push(chunk)) {
      const message = JSON.parse(line) as Record<string, unknown>;
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else lines.push(message);
    }
  });
  const next = (): Promise<Record<string, unknown>> => (lines.length ? Promise.resolve(lines.shift()!) : new Promise((r) => waiters.push(r)));
  const challenge = await next();
  assert.equal(challenge['type'], 'challenge');
  if (prove) {
    await presentProof(String(challenge['abstract']), String(challenge['nonce']));
    assert.equal((await next())['type'], 'ready');
  }
  return { send: (line) => socket.write(`${line}\n`), next, socket };
}

test('the socket is 0600 inside a 0700 directory', async () => {
  const sock = await stat(h.socketPath);
  assert.ok(sock.isSocket());
  assert.equal(sock.mode & 0o777, 0o600);
  const dir = await stat(join(h.stateDir, 'control'));
  assert.equal(dir.mode & 0o777, 0o700);
});

test('malformed and unknown commands get clear errors naming the field; the connection survives', async () => {
  const s = await rawSession(h.socketPath);
  const expectError = async (line: string, code: string, field: string | undefined, pattern: RegExp): Promise<void> => {
    s.send(line);
    const answer = await s.next();
    assert.equal(answer['ok'], false, line);
    const error = answer['error'] as { code: string; field?: string; message: string };
    assert.equal(error.code, code, `${line}: ${error.message}`);
    assert.equal(error.field, field, `${line}: ${error.message}`);
    assert.match(error.message, pattern);
  };
  await expectError('{"id":1,"op":"ping"', 'ERR_CONTROL_JSON', undefined, /not valid JSON/);
  await expectError('[1,2]', 'ERR_CONTROL_FIELD', 'request', /must be a JSON object/);
  await expectError('{"id":2}', 'ERR_CONTROL_FIELD', 'op', /is required/);
  await expectError('{"id":3,"op":42}', 'ERR_CONTROL_FIELD', 'op', /must be a string/);
  await expectError('{"id":4,"op":"fault.explode"}', 'ERR_CONTROL_UNKNOWN_OP', 'op', /unknown operation "fault.explode"/);
  await expectError('{"id":{"x":1},"op":"ping"}', 'ERR_CONTROL_FIELD', 'id', /number or a string/);
  await expectError('{"id":5,"op":"ping","vm":"nosuchvm"}', 'ERR_CONTROL_UNKNOWN_VM', 'vm', /no VM named "nosuchvm"/);
  await expectError('{"id":6,"op":"ping","extra":true}', 'ERR_CONTROL_FIELD', 'extra', /unknown field/);
  await expectError('{"id":7,"op":"fault.add"}', 'ERR_CONTROL_FIELD', 'fault', /is required/);
  await expectError('{"id":8,"op":"fault.remove","faultId":"one"}', 'ERR_CONTROL_FIELD', 'faultId', /integer/);
  await expectError('{"id":9,"op":"clock.advance","by":-5}', 'ERR_CONTROL_FIELD', 'by', /duration/);
  await expectError('{"id":10,"op":"tags.set","tags":"a=b"}', 'ERR_CONTROL_FIELD', 'tags', /object/);
  await expectError('{"id":11,"op":"identity.add","identity":{"type":"group"}}', 'ERR_CONTROL_FIELD', 'identity.type', /system, user/);
  await expectError('{"id":12,"op":"events.add","event":{"eventType":"Reboot","EventType":"Freeze"}}', 'ERR_CONTROL_FIELD', 'event.EventType', /unknown field/);
  await expectError('{"id":13,"op":"log.query","status":"500"}', 'ERR_CONTROL_FIELD', 'status', /integer/);
  await expectError('{"id":14,"op":"log.unfollow","stream":99}', 'ERR_CONTROL_NOT_FOUND', 'stream', /no open stream/);
  s.send('{"id":"last","op":"ping"}');
  const pong = await s.next();
  assert.equal(pong['id'], 'last');
  assert.equal(pong['ok'], true);
  s.socket.destroy();
  // The daemon still serves IMDS.
  assert.equal((await h.get('/metadata/versions')).status, 200);
});

test('a connection that never proves its namespace gets no service', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imds-control-proof-'));
  const server = await startControlServer({
    socketPath: join(dir, 'c', 'control.sock'),
    vms: [{ name: 'vm0', capture: 'socket', context: h.daemon.context, faults: h.daemon.faults, setProfile: () => {} }],
    clock: h.daemon.context.clock,
    proofTimeoutMs: 200,
  });
  try {
    const s = await rawSession(server.socketPath, false);
    s.send('{"id":1,"op":"fault.clear"}');
    const answer = await s.next();
    assert.equal(answer['ok'], false);
    assert.equal((answer['error'] as { code: string }).code, 'ERR_CONTROL_NAMESPACE');
    await new Promise<void>((resolve) => s.socket.once('close', () => resolve()));
    // A wrong nonce is not accepted either.
    const t = await rawSession(server.socketPath, false);
    await assert.rejects(presentProof(server.abstractName, 'not-the-nonce'), (e: Error & { code?: string }) => e.code === 'ERR_CONTROL_NAMESPACE');
    t.socket.destroy();
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/** A control server of its own (short proof timeout, small limits) on the harness's VM. */
async function ownServer(options: { proofTimeoutMs: number; maxUnprovenConnections?: number }): Promise<{ server: Awaited<ReturnType<typeof startControlServer>>; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'imds-control-limits-'));
  const server = await startControlServer({
    socketPath: join(dir, 'c', 'control.sock'),
    vms: [{ name: 'vm0', capture: 'socket', context: h.daemon.context, faults: h.daemon.faults, setProfile: () => {} }],
    clock: h.daemon.context.clock,
    ...options,
  });
  return { server, close: async () => (await server.close(), await rm(dir, { recursive: true, force: true })) };
}

/** The flood takes at most the kernel's socket buffers (well under 4 MiB), never the offered 16 MiB. */
function assertNothingRead(result: FloodResult): void {
  assert.equal(result.answer, 'ERR_CONTROL_NAMESPACE');
  assert.equal(result.offered, 16 * 1024 * 1024);
  assert.ok(result.flushed < 4 * 1024 * 1024, `the daemon read ${result.flushed} bytes before the proof`);
}

test('before the proof nothing is read; at the proof timeout the connection is destroyed, not half-closed', async () => {
  const own = await ownServer({ proofTimeoutMs: 300 });
  try {
    // Before the fix the server read (and queued) all 16 lines of 1 MiB, then only half-closed.
    assertNothingRead(await floodBeforeProof(own.server.socketPath, 16, 1024 * 1024));
    // The server still answers a proving client.
    const s = await rawSession(own.server.socketPath);
    s.send('{"id":1,"op":"ping"}');
    assert.equal((await s.next())['ok'], true);
    s.socket.destroy();
  } finally {
    await own.close();
  }
});

test('connections waiting for a proof are capped: the oldest is closed, a proving client still gets in', async () => {
  const own = await ownServer({ proofTimeoutMs: 60_000, maxUnprovenConnections: 4 });
  const idle: net.Socket[] = [];
  try {
    for (let i = 0; i < 4; i++) idle.push((await rawSession(own.server.socketPath, false)).socket);
    const firstClosed = new Promise<void>((resolve) => idle[0]!.once('close', () => resolve()));
    // The fifth unproven connection pushes out the first long before its 60 s proof timer.
    const s = await rawSession(own.server.socketPath);
    await firstClosed;
    assert.equal(idle[1]!.destroyed, false);
    s.send('{"id":1,"op":"ping"}');
    assert.equal((await s.next())['ok'], true);
    s.socket.destroy();
  } finally {
    for (const socket of idle) socket.destroy();
    await own.close();
  }
});

test('a second server on a live socket path is refused', async () => {
  await assert.rejects(
    startControlServer({ socketPath: h.socketPath, vms: [{ name: 'x', capture: 'socket', context: h.daemon.context, faults: h.daemon.faults, setProfile: () => {} }], clock: h.daemon.context.clock }),
    /in use by a running daemon/,
  );
});

function runProbe(argvPrefix: readonly string[], socketPath: string, probe: readonly string[] = ['test/helpers/control-probe.ts', socketPath]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argvPrefix[0]!, [...argvPrefix.slice(1), process.execPath, '--import', 'tsx', ...probe], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve({ stdout: stdout.trim(), stderr: stderr.trim() }));
  });
}

test('a client in another network namespace can open the socket file but is refused', { skip: privilegedSkipReason() }, async () => {
  const ns = `ctl-${uniqueSuffix()}`;
  ip(['netns', 'add', ns]);
  try {
    const inside = await runProbe(['ip', 'netns', 'exec', ns], h.socketPath);
    assert.equal(inside.stdout, 'ERR_CONTROL_NAMESPACE', inside.stderr);
    assert.match(inside.stderr, /another network namespace/);
    const home = await runProbe(['env'], h.socketPath);
    assert.equal(home.stdout, 'connected', home.stderr);
  } finally {
    ip(['netns', 'del', ns]);
  }
  assert.ok(!netnsList().includes(ns));
});

test('a flood from another network namespace is not read before the proof', { skip: privilegedSkipReason() }, async () => {
  const ns = `ctlf-${uniqueSuffix()}`;
  ip(['netns', 'add', ns]);
  const own = await ownServer({ proofTimeoutMs: 1000 });
  try {
    const out = await runProbe(['ip', 'netns', 'exec', ns], own.server.socketPath, ['test/helpers/control-flood.ts', own.server.socketPath, '16', String(1024 * 1024)]);
    assertNothingRead(JSON.parse(out.stdout) as FloodResult);
  } finally {
    await own.close();
    ip(['netns', 'del', ns]);
  }
  assert.ok(!netnsList().includes(ns));
});
