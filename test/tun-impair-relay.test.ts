// Privileged tests of the impairment relay: a clean path, a black hole, and a kernel-to-kernel HTTP transfer
// (python3 http.server in one namespace, curl in the other) that completes byte for byte through heavy impairment.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyNftImpairment } from './tools/impair-relay-nft.ts';
import { withImpairedPath } from './tools/impair-relay-path.ts';
import { addNetns, deleteNetns, ip, netnsExists, nsRunAsync, nsSpawn, privilegedSkipReason, removeLeftoversAfterTests, stopChild, uniqueNsName, until } from './helpers/netns.ts';

const skip = privilegedSkipReason();
removeLeftoversAfterTests();

/** TCP InCsumErrors of a namespace's kernel (from /proc/net/snmp read inside it). */
async function tcpChecksumErrors(ns: string): Promise<number> {
  const lines = (await nsRunAsync(ns, ['cat', '/proc/net/snmp'])).split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf('InCsumErrors')]);
}

describe('impairment relay between two namespaces', { skip }, () => {
  const clientNs = uniqueNsName('imdslab-cli');
  const serverNs = uniqueNsName('imdslab-srv');
  const dir = mkdtempSync(join(tmpdir(), 'imds-lab-relay-'));
  before(() => {
    addNetns(clientNs);
    addNetns(serverNs);
  });
  after(() => {
    deleteNetns(clientNs);
    deleteNetns(serverNs);
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays both directions untouched without impairment, then cleans up', async () => {
    let relayNs = '';
    await withImpairedPath({ clientNs, serverNs }, async (path) => {
      relayNs = path.relayNs;
      assert.ok(netnsExists(relayNs), 'netnsExists(relayNs)');
      const out = await nsRunAsync(clientNs, ['ping', '-c', '5', '-i', '0.1', '-W', '2', path.serverAddress]);
      assert.match(out, /5 packets transmitted, 5 received/);
      const stats = path.stats();
      assert.equal(stats.forward.packets, 5);
      assert.equal(stats.backward.packets, 5);
      assert.equal(stats.forward.delivered, 5);
      assert.equal(stats.forwardTun.packetsOut, 5, 'written back into the kernel');
    });
    assert.equal(netnsExists(relayNs), false, 'the relay namespace is gone');
    assert.throws(() => ip(['-n', clientNs, 'link', 'show', 'imprelay0']), 'the client veth is gone');
    assert.equal(ip(['-n', clientNs, 'route', 'show', 'exact', '10.200.251.2/32']).trim(), '');
  });

  it('drops everything at loss 1 (ping gets no answer) and counts it', async () => {
    await withImpairedPath({ clientNs, serverNs, clientToServer: { loss: 1 } }, async (path) => {
      await assert.rejects(nsRunAsync(clientNs, ['ping', '-c', '3', '-i', '0.1', '-W', '1', path.serverAddress]));
      const stats = path.stats();
      assert.equal(stats.forward.dropped, 3);
      assert.equal(stats.backward.packets, 0);
    });
  });

  it('completes an HTTP transfer between kernel endpoints through loss, reordering, duplication and corruption', async () => {
    const blob = randomBytes(1 << 20);
    writeFileSync(join(dir, 'blob.bin'), blob);
    const impairment = { loss: 0.1, reorder: 0.25, duplicate: 0.01, corrupt: 0.005, seed: 20260101 };
    await withImpairedPath({ clientNs, serverNs, ...impairment }, async (path) => {
      const server = nsSpawn(serverNs, ['python3', '-u', '-m', 'http.server', '8080', '--bind', path.serverAddress, '--directory', dir]);
      try {
        let serving = false;
        server.stdout!.on('data', (c: Buffer) => (serving ||= c.toString().includes('Serving HTTP')));
        await until(() => serving, 10_000, 'python http.server');
        const output = join(dir, 'downloaded.bin');
        await nsRunAsync(clientNs, ['curl', '-sS', '--fail', '--max-time', '120', '-o', output, `http://${path.serverAddress}:8080/blob.bin`], 130_000);
        const got = readFileSync(output);
        assert.equal(got.length, blob.length);
        assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(blob).digest('hex'));
      } finally {
        await stopChild(server);
      }
      const { forward, backward } = path.stats();
      for (const [name, s] of [['client->server', forward], ['server->client', backward]] as const) {
        assert.equal(s.delivered + s.held, s.packets - s.dropped + s.duplicated, `${name} accounting (a reordered packet may still be held)`);
        assert.ok(s.dropped > 0 && s.reordered > 0, `${name} impaired: ${JSON.stringify(s)}`);
      }
      assert.ok(backward.packets > 700, `about 1 MiB of segments went server->client: ${backward.packets}`);
      assert.ok(backward.dropped / backward.packets > 0.05 && backward.dropped / backward.packets < 0.15, `~10% loss: ${JSON.stringify(backward)}`);
      assert.ok(backward.reordered / backward.packets > 0.1, `~18% held back (25% of the packets not lost and not releasing a held one): ${JSON.stringify(backward)}`);
      assert.ok(backward.duplicated + forward.duplicated > 0, 'some duplicates');
      assert.ok(backward.corrupted + forward.corrupted > 0, 'some corrupted');
      // Every corrupted segment reached a kernel and was rejected there (veth rx checksum offload is off).
      const csumErrors = (await tcpChecksumErrors(clientNs)) + (await tcpChecksumErrors(serverNs));
      assert.ok(csumErrors >= backward.corrupted + forward.corrupted, `checksum errors ${csumErrors} >= corrupted ${backward.corrupted + forward.corrupted}`);
    });
  });
});

describe('nftables impairment (no relay)', { skip }, () => {
  const a = uniqueNsName('imdslab-nfta');
  const b = uniqueNsName('imdslab-nftb');
  before(() => {
    addNetns(a);
    addNetns(b);
    ip(['-n', a, 'link', 'add', 'name', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b]);
    ip(['-n', a, 'addr', 'add', '10.200.252.1/30', 'dev', 'va']);
    ip(['-n', b, 'addr', 'add', '10.200.252.2/30', 'dev', 'vb']);
    ip(['-n', a, 'link', 'set', 'va', 'up']);
    ip(['-n', b, 'link', 'set', 'vb', 'up']);
  });
  after(() => {
    deleteNetns(a);
    deleteNetns(b);
  });

  it('drops about the requested share of packets and counts exactly the ones it dropped', async () => {
    const impairment = applyNftImpairment({ ns: b, loss: 0.3, iifname: 'vb' });
    try {
      const out = await nsRunAsync(a, ['ping', '-q', '-c', '200', '-i', '0.005', '-W', '1', '10.200.252.2']).catch((e: Error) => e.message);
      const received = Number(/(\d+) received/.exec(out)?.[1]);
      const dropped = impairment.dropped();
      assert.equal(received + dropped, 200, out);
      assert.ok(dropped > 30 && dropped < 90, `about 60 of 200 dropped: ${dropped}`);
    } finally {
      impairment.close();
    }
    assert.doesNotMatch(await nsRunAsync(b, ['nft', 'list', 'tables']), /imdslab_impair/, 'close() removes the table');
  });

  it('can drop only TCP SYNs, so connection attempts time out', async () => {
    const impairment = applyNftImpairment({ ns: b, loss: 1, match: 'tcp-syn' });
    try {
      const out = await nsRunAsync(a, ['ping', '-c', '2', '-i', '0.1', '-W', '1', '10.200.252.2']);
      assert.match(out, /2 received/, 'other traffic passes');
      await assert.rejects(nsRunAsync(a, ['curl', '-sS', '--connect-timeout', '2', 'http://10.200.252.2:9/']), /timed out|Timeout/i);
      assert.ok(impairment.dropped() >= 2, `SYN and its retransmission dropped: ${impairment.dropped()}`);
    } finally {
      impairment.close();
    }
  });

  it('installs no drop rule at loss 0, and rejects a bad probability or interface naming the field', () => {
    const none = applyNftImpairment({ ns: b, loss: 0 });
    assert.equal(none.dropped(), 0);
    none.close();
    assert.throws(() => applyNftImpairment({ ns: b, loss: 2 }), { code: 'ERR_BAD_IMPAIRMENT', message: /nft\.loss/ });
    assert.throws(() => applyNftImpairment({ ns: b, loss: 0.1, iifname: 'x"; flush ruleset' }), /nft\.iifname/);
  });
});
