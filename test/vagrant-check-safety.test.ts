// scripts/vagrant-check's safety precondition without booting a VM: its namespace has no uplink (no default
// route, no route or interface leading elsewhere); --check-isolation leaves nothing behind, and the script
// refuses (exit 3) a namespace with a default route, a stray route or a veth to another namespace.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { netnsList, privilegedSkipReason, uniqueSuffix } from './helpers/netns.ts';

const SCRIPT = new URL('../scripts/vagrant-check', import.meta.url).pathname;
const skip = privilegedSkipReason();

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
function script(...args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(SCRIPT, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

describe('scripts/vagrant-check isolation', { skip }, () => {
  const made: string[] = [];
  const ns = (tag: string): string => {
    const name = `vcs${tag}-${uniqueSuffix()}`;
    ip('netns', 'add', name);
    made.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  };
  const bridge = (name: string): void => {
    ip('-n', name, 'link', 'add', 'ivcbr0', 'type', 'bridge');
    ip('-n', name, 'addr', 'add', '192.168.121.1/24', 'dev', 'ivcbr0');
    ip('-n', name, 'link', 'set', 'ivcbr0', 'up');
  };
  after(() => {
    for (const n of made) spawnSync('ip', ['netns', 'del', n]);
    assert.deepEqual(netnsList().filter((n) => made.includes(n)), [], 'our namespaces are gone');
  });

  it('--check-isolation builds the namespace and bridge, finds no uplink, and removes them', () => {
    const before = new Set(netnsList());
    const r = script('--check-isolation');
    assert.equal(r.code, 0, r.stderr);
    const m = /namespace (ivc\d+): no default route, only lo and ivcbr0/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.ok(!netnsList().includes(m[1]!), `${m[1]} was removed`);
    assert.deepEqual(netnsList().filter((n) => !before.has(n) && n.startsWith('ivc')), []);
  });

  it('accepts a namespace with only lo and the bridge', () => {
    const n = ns('ok');
    bridge(n);
    const r = script('--assert-isolated', n, 'ivcbr0');
    assert.equal(r.code, 0, r.stderr);
  });

  it('refuses a namespace with a default route', () => {
    const n = ns('def');
    bridge(n);
    ip('-n', n, 'route', 'add', 'default', 'via', '192.168.121.254', 'dev', 'ivcbr0');
    const r = script('--assert-isolated', n, 'ivcbr0');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /has a default route/);
    assert.match(r.stderr, /refusing to continue/);
  });

  it('refuses a route through another interface (a second bridge standing in for an uplink)', () => {
    const n = ns('dum');
    bridge(n);
    ip('-n', n, 'link', 'add', 'up0', 'type', 'bridge');
    ip('-n', n, 'link', 'set', 'up0', 'up');
    ip('-n', n, 'route', 'add', '10.99.0.0/16', 'dev', 'up0');
    const r = script('--assert-isolated', n, 'ivcbr0');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /routes via up0/);
    assert.match(r.stderr, /interface up0 \(kind bridge/);
  });

  it('refuses a veth whose peer is in another namespace, even without routes', () => {
    const n = ns('veth');
    const peer = ns('peer');
    bridge(n);
    ip('-n', n, 'link', 'add', 'vc0', 'type', 'veth', 'peer', 'name', 'vc1', 'netns', peer);
    const r = script('--assert-isolated', n, 'ivcbr0');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /interface vc0 \(kind veth/);
  });
});
