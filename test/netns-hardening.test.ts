// Namespace e2e for issue 11 points 2 and 3, in socket mode and through the TUN: a client that half-closes
// right after its request is answered, and idle and slowloris connections get 408 and are closed after the
// header timeout (2 s here via serve --http-timeouts; 10 s by default), the same in both capture modes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createTopology, execIn, ip, netnsList, privilegedSkipReason, removeLeftoversAfterTests, type Topology } from './helpers/netns.ts';
import { startServe } from './helpers/netns-imds.ts';

const skip = privilegedSkipReason();
removeLeftoversAfterTests();
const LOAD = fileURLToPath(new URL('../scripts/hardening-load.mjs', import.meta.url));
const HEADERS_MS = 2000;
const TIMEOUTS = ['--http-timeouts', `headers=${HEADERS_MS},request=4000,check=200`];

interface Summary {
  count: number;
  closed: number;
  got408: number;
  firstMs: number | null;
  lastMs: number | null;
}

async function load<T>(topo: Topology, args: readonly string[]): Promise<T> {
  const r = await execIn(topo.client, [process.execPath, LOAD, ...args, '--host', '169.254.169.254', '--port', '80'], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, `hardening-load ${args.join(' ')}: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as T;
}

describe('issue 11 in namespaces: half-close and slow clients, socket mode and TUN', { skip }, () => {
  let topo: Topology;
  let state: string;
  before(() => {
    state = mkdtempSync(join(tmpdir(), 'imds-hardening-state-'));
    topo = createTopology();
  });
  after(async () => {
    await topo?.destroy();
    rmSync(state, { recursive: true, force: true });
    assert.deepEqual(netnsList().filter((n) => n === topo?.client || n === topo?.host), [], 'our namespaces are gone');
  });

  const results: Record<string, { halfClose: { answered: number; statuses: Record<string, number> }; hold: { idle: Summary; slowloris: Summary } }> = {};

  // TUN first: a socket-mode run leaves kernel TIME-WAIT sockets for 169.254.169.254:80 in the host namespace.
  for (const mode of ['tun', 'socket'] as const) {
    it(`${mode}: half-closing clients are answered; idle and slowloris connections get 408 after the configured header timeout`, async () => {
      if (mode === 'socket') ip(['-n', topo.host, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
      const args = mode === 'socket' ? ['--capture', 'socket', '--listen', '169.254.169.254:80'] : ['--capture', 'tun'];
      const served = await startServe(topo, topo.host, [...args, ...TIMEOUTS, '--state-dir', state, '--no-rate-limit']);
      try {
        const [halfClose, hold] = await Promise.all([
          load<{ answered: number; unanswered: number; statuses: Record<string, number> }>(topo, ['half-close', '--count', '30']),
          load<{ idle: Summary; slowloris: Summary }>(topo, ['hold', '--idle', '5', '--slowloris', '5', '--interval-ms', '200', '--max-ms', '20000']),
        ]);
        results[mode] = { halfClose, hold };
        assert.deepEqual(halfClose.statuses, { 200: 30 }, 'every half-closing client gets its answer');
        for (const [kind, s] of Object.entries(hold)) {
          assert.equal(s.closed, 5, `${kind}: all closed by the server within 20 s`);
          assert.equal(s.got408, 5, `${kind}: each got 408 Request Timeout`);
          assert.ok(s.firstMs! >= HEADERS_MS - 50, `${kind}: not before the ${HEADERS_MS} ms header timeout (${s.firstMs} ms)`);
        }
      } finally {
        assert.equal(await served.stop(), 0, served.output());
        if (mode === 'socket') ip(['-n', topo.host, 'addr', 'del', '169.254.169.254/32', 'dev', 'lo']);
      }
    });
  }

  it('both modes behave alike', () => {
    assert.deepEqual(results['tun']?.halfClose.statuses, results['socket']?.halfClose.statuses);
    for (const kind of ['idle', 'slowloris'] as const) {
      assert.equal(results['tun']?.hold[kind].got408, results['socket']?.hold[kind].got408, kind);
    }
  });
});
