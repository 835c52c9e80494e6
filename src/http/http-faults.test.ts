// HttpFaultSet: matching (prefix, glob), count, seeded probability, order; fault-spec parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFaultSpec } from './fault-spec.ts';
import { FaultError, faultPathMatcher, HttpFaultSet } from './http-faults.ts';

describe('faultPathMatcher', () => {
  it('prefix without *, whole-path glob with *', () => {
    const prefix = faultPathMatcher('/metadata/instance');
    assert.equal(prefix('/metadata/instance/compute'), true);
    assert.equal(prefix('/metadata/attested/document'), false);
    const glob = faultPathMatcher('/metadata/identity/*');
    assert.equal(glob('/metadata/identity/oauth2/token'), true);
    assert.equal(glob('/metadata/identity'), false);
    assert.equal(faultPathMatcher('*')('/anything'), true);
    assert.equal(faultPathMatcher('/metadata/*/document')('/metadata/attested/document'), true);
    assert.equal(faultPathMatcher('/metadata/a.b*')('/metadata/aXb'), false, 'dots are literal');
  });
});

describe('HttpFaultSet', () => {
  it('count: applies to the next N matching requests only', () => {
    const set = new HttpFaultSet([{ path: '/metadata/instance', status: 500, count: 2 }]);
    assert.equal(set.take('/metadata/versions'), undefined);
    assert.equal(set.take('/metadata/instance')?.status, 500);
    assert.equal(set.take('/metadata/instance')?.status, 500);
    assert.equal(set.take('/metadata/instance'), undefined);
    assert.deepEqual(set.list().map((f) => [f.remaining, f.applied]), [[0, 2]]);
  });

  it('seeded probability: same seed, same sequence; different seed, different; roughly the rate', () => {
    const sequence = (seed: number) => {
      const set = new HttpFaultSet([{ path: '/', status: 503, probability: 0.3, seed }]);
      return Array.from({ length: 200 }, () => (set.take('/x') ? 1 : 0));
    };
    const a = sequence(7);
    assert.deepEqual(a, sequence(7));
    assert.notDeepEqual(a, sequence(8));
    const hits = a.reduce<number>((n, v) => n + v, 0);
    assert.ok(hits > 30 && hits < 90, `~60 of 200 expected, got ${hits}`);
  });

  it('probability 0 never applies, 1 always; count with probability counts only applications', () => {
    const set = new HttpFaultSet([
      { path: '/a', status: 500, probability: 0 },
      { path: '/b', status: 500, probability: 1, count: 1 },
    ]);
    for (let i = 0; i < 20; i++) assert.equal(set.take('/a'), undefined);
    assert.ok(set.take('/b'), 'set.take(\'/b\')');
    assert.equal(set.take('/b'), undefined);
    // With a real roll (seed 7 at 0.5: hit, hit, miss, miss, miss, hit, …) the misses must not use up the
    // count: all 3 applications happen, the third on the 6th matching request.
    const rolled = new HttpFaultSet([{ path: '/c', status: 500, probability: 0.5, seed: 7, count: 3 }]);
    const outcomes = Array.from({ length: 20 }, () => (rolled.take('/c') ? 1 : 0));
    assert.deepEqual(outcomes.slice(0, 7), [1, 1, 0, 0, 0, 1, 0]);
    assert.equal(outcomes.reduce<number>((n, v) => n + v, 0), 3);
    assert.deepEqual(rolled.list().map((f) => [f.remaining, f.applied]), [[0, 3]]);
  });

  it('first matching fault wins; runtime add/remove/clear', () => {
    const set = new HttpFaultSet([{ path: '/metadata', delayMs: 100 }]);
    const id = set.add({ path: '/metadata/instance', status: 404 });
    assert.deepEqual(set.take('/metadata/instance'), { id: 1, status: undefined, delayMs: 100 });
    assert.equal(set.remove(1), true);
    assert.deepEqual(set.take('/metadata/instance'), { id, status: 404, delayMs: 0 });
    assert.equal(set.remove(99), false);
    set.clear();
    assert.equal(set.take('/metadata/instance'), undefined);
  });

  it('validates faults and names the field', () => {
    const set = new HttpFaultSet();
    assert.throws(() => set.add({ path: 'metadata', status: 500 }), /fault\.path/);
    assert.throws(() => set.add({ path: '/x', status: 418 as 500 }), /fault\.status must be one of 404, 410, 429, 500, 503/);
    assert.throws(() => set.add({ path: '/x' }), /needs a status, a delay, or both/);
    assert.throws(() => set.add({ path: '/x', status: 500, count: 0 }), /fault\.count/);
    assert.throws(() => set.add({ path: '/x', status: 500, probability: 2 }), /fault\.probability/);
    assert.throws(() => set.add({ path: '/x', delayMs: -1 }), /fault\.delayMs/);
    assert.throws(() => set.add({ path: '/x', status: 500, seed: 1.5 }), FaultError);
  });
});

describe('parseFaultSpec', () => {
  it('parses every key', () => {
    assert.deepEqual(parseFaultSpec('path=/metadata/identity/*,status=410,count=3'), { path: '/metadata/identity/*', status: 410, count: 3 });
    assert.deepEqual(parseFaultSpec('path=/metadata/instance,delay=2s,probability=0.5,seed=7'), {
      path: '/metadata/instance',
      delayMs: 2000,
      probability: 0.5,
      seed: 7,
    });
    assert.deepEqual(parseFaultSpec('path=/,delay=250ms,p=1'), { path: '/', delayMs: 250, probability: 1 });
    assert.deepEqual(parseFaultSpec('path=/,delay=40'), { path: '/', delayMs: 40 });
  });

  it('explains what is wrong', () => {
    assert.throws(() => parseFaultSpec('status=500'), /path=… is required/);
    assert.throws(() => parseFaultSpec('path=/x,status'), /expected key=value/);
    assert.throws(() => parseFaultSpec('path=/x,colour=red'), /unknown key "colour"/);
    assert.throws(() => parseFaultSpec('path=/x,status=abc'), /status: not a number/);
    assert.throws(() => parseFaultSpec('path=/x,delay=soon'), /--fault delay/);
    assert.throws(() => parseFaultSpec('path=/x,status=418'), /fault\.status/);
  });
});
