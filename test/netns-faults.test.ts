// Namespace e2e: each network-fault persona of `serve --capture tun --net-fault ...` produces the client-side
// symptom of scenarios S1–S4 for an unmodified curl in the VM namespace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTopology, netnsList, privilegedSkipReason, removeLeftoversAfterTests, type Topology } from './helpers/netns.ts';
import { curl, IMDS_URL, startServe } from './helpers/netns-imds.ts';

const skip = privilegedSkipReason();
removeLeftoversAfterTests();
const URL = `${IMDS_URL}/metadata/instance/compute/name?api-version=2021-02-01&format=text`;

/** [fault spec, curl -m seconds, expected curl exit, check on elapsed ms] */
const PERSONAS: readonly [string, number, number, (ms: number) => boolean, string][] = [
  ['drop-syn', 3, 28, (ms) => ms >= 2900, 'S1: SYNs black-holed, the client times out'],
  ['rst', 3, 7, (ms) => ms < 1500, 'connection refused at once'],
  ['icmp-admin', 3, 7, (ms) => ms < 1500, 'ICMP admin-prohibited: a hard error at once'],
  ['icmp-net', 3, 7, (ms) => ms < 1500, 'S2: ICMP net-unreachable ends a Linux connect() at once (ENETUNREACH)'],
  ['icmp-host', 3, 7, (ms) => ms < 1500, 'ICMP host-unreachable ends connect() at once (EHOSTUNREACH)'],
  ['stall', 3, 28, (ms) => ms >= 2900, 'accepted, then nothing: the read times out'],
  ['delay-synack=1500', 10, 0, (ms) => ms >= 1500, 'S3: slow handshake, success after the delay'],
  ['delay-first-byte=1500~200', 10, 0, (ms) => ms >= 1500, 'S3: slow first byte, success after the delay'],
];

describe('net-fault personas through the TUN path', { skip }, () => {
  let topo: Topology;
  let state: string;
  before(() => {
    state = mkdtempSync(join(tmpdir(), 'imds-netns-faults-'));
    topo = createTopology();
  });
  after(async () => {
    await topo?.destroy();
    rmSync(state, { recursive: true, force: true });
    assert.deepEqual(netnsList().filter((n) => n === topo?.client || n === topo?.host), []);
  });

  for (const [spec, maxTime, exit, timing, why] of PERSONAS) {
    it(`--net-fault ${spec}: curl exit ${exit} (${why})`, async () => {
      const served = await startServe(topo, topo.host, ['--capture', 'tun', '--state-dir', state, '--no-rate-limit', '--net-fault', spec]);
      try {
        const r = await curl(topo.client, URL, ['-m', String(maxTime)]);
        assert.equal(r.code, exit, `curl exit ${r.code} after ${r.ms} ms: ${r.stderr.toString()}`);
        assert.ok(timing(r.ms), `elapsed ${r.ms} ms`);
        if (exit === 0) assert.equal(r.stdout.toString(), 'examplevmname');
      } finally {
        assert.equal(await served.stop(), 0, served.output());
      }
    });
  }

  it('drop-syn=0.5 (S4): every request succeeds, some only after the 1 s SYN retransmit', async () => {
    const served = await startServe(topo, topo.host, ['--capture', 'tun', '--state-dir', state, '--no-rate-limit', '--net-fault', 'drop-syn=0.5,seed=3']);
    try {
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await curl(topo.client, URL, ['-m', '20']);
        assert.equal(r.code, 0, r.stderr.toString());
        times.push(r.ms);
      }
      assert.ok(times.some((t) => t >= 1000), `some connects waited for a retransmit: ${times.map(Math.round).join(', ')}`);
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });
});
