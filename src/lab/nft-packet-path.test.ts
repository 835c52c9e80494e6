// The nftables evaluator against the container scenarios' real rulesets and hand-made ones (jumps, inet, policies).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nftFixture } from '../../test/helpers/nft-fixtures.ts';
import { evaluateHook, type NftPacket } from './nft-packet-path.ts';
import { describeRule, parseNftRuleset, type NftRuleset } from './nft-ruleset.ts';

const fromContainer: NftPacket = { iifname: 'docker0', oifname: 'eth0', saddr: '172.17.0.2', daddr: '169.254.169.254', protocol: 'tcp', dport: 80 };
const fromVm: NftPacket = { oifname: 'eth0', saddr: '10.1.0.4', daddr: '169.254.169.254', protocol: 'tcp', dport: 80 };

/** A ruleset from nft's JSON items (rule texts are not needed here). */
function ruleset(items: unknown[]): NftRuleset {
  return parseNftRuleset(JSON.stringify({ nftables: items }), '');
}
const match = (left: unknown, right: unknown, op = '=='): unknown => ({ match: { op, left, right } });
const iifname = (name: string): unknown => match({ meta: { key: 'iifname' } }, name);

describe('parseNftRuleset', () => {
  it('joins the JSON rules with their printed text by table and handle', () => {
    const r = nftFixture('netpol-reject');
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.rules.map((rule) => describeRule(rule)),
      [
        'ip imds_lab_container forward: iifname "docker0" reject with tcp reset',
        'ip imds_lab_container forward: iifname "docker0" reject with icmp admin-prohibited',
        'ip imds_lab_container postrouting: oifname "eth0" ip saddr 172.17.0.0/16 masquerade',
      ],
    );
    assert.deepEqual(r.chains.map((c) => [c.name, c.hook, c.prio, c.policy]), [
      ['forward', 'forward', 0, 'accept'],
      ['postrouting', 'postrouting', 100, 'accept'],
    ]);
  });

  it('says why when nft gave no JSON', () => {
    const r = parseNftRuleset('', '');
    assert.match(r.error ?? '', /nft -j list ruleset/);
    assert.deepEqual(r.rules, []);
  });
});

describe('evaluateHook on the container scenarios', () => {
  it('container-nat: forwarded, masqueraded out of eth0; the VM own traffic is not', () => {
    const r = nftFixture('container-nat');
    assert.equal(evaluateHook(r, 'forward', fromContainer).verdict, 'accept');
    const post = evaluateHook(r, 'postrouting', fromContainer);
    assert.equal(post.nat?.kind, 'masquerade');
    assert.equal(post.nat?.rule.text, 'oifname "eth0" ip saddr 172.17.0.0/16 masquerade');
    assert.equal(evaluateHook(r, 'postrouting', fromVm).nat, null);
    assert.equal(evaluateHook(r, 'postrouting', { ...fromContainer, oifname: 'eth1' }).nat, null);
  });

  it('container-routed: an empty table, no NAT anywhere', () => {
    const r = nftFixture('container-routed');
    assert.equal(evaluateHook(r, 'postrouting', fromContainer).nat, null);
    assert.equal(evaluateHook(r, 'prerouting', fromContainer).nat, null);
  });

  it('pod-agent-dnat: the container port 80 to IMDS is DNATed to the agent, port 443 and the VM are not', () => {
    const r = nftFixture('pod-agent-dnat');
    const pre = evaluateHook(r, 'prerouting', fromContainer);
    assert.deepEqual([pre.nat?.kind, pre.nat?.addr, pre.nat?.port], ['dnat', '172.17.0.1', 2579]);
    assert.equal(evaluateHook(r, 'prerouting', { ...fromContainer, dport: 443 }).nat, null);
    assert.equal(evaluateHook(r, 'prerouting', { ...fromContainer, iifname: 'eth0' }).nat, null);
  });

  it('netpol-drop / netpol-reject: the rule that decides; --fixed accepts IMDS first but still denies the rest', () => {
    const drop = evaluateHook(nftFixture('netpol-drop'), 'forward', fromContainer);
    assert.equal(drop.verdict, 'drop');
    assert.equal(drop.rule?.text, 'iifname "docker0" drop');
    const reject = evaluateHook(nftFixture('netpol-reject'), 'forward', fromContainer);
    assert.equal(reject.verdict, 'reject');
    assert.equal(reject.rule?.text, 'iifname "docker0" reject with tcp reset');
    for (const fixed of ['netpol-drop-fixed', 'netpol-reject-fixed']) {
      const r = nftFixture(fixed);
      const ok = evaluateHook(r, 'forward', fromContainer);
      assert.equal(ok.verdict, 'accept', fixed);
      assert.match(ok.rule?.text ?? '', /ip daddr 169\.254\.169\.254 tcp dport 80 accept/);
      assert.notEqual(evaluateHook(r, 'forward', { ...fromContainer, daddr: '10.9.9.9' }).verdict, 'accept', fixed);
    }
    // The VM's own traffic does not pass the forward hook's docker0 rules.
    assert.equal(evaluateHook(nftFixture('netpol-drop'), 'forward', { ...fromVm, iifname: 'eth0' }).verdict, 'accept');
  });
});

describe('evaluateHook semantics', () => {
  const base = (hook: string, policy: string, rules: unknown[][], family = 'inet'): NftRuleset =>
    ruleset([
      { chain: { family, table: 't', name: 'c', type: 'filter', hook, prio: 0, policy } },
      { chain: { family, table: 't', name: 'pods' } },
      ...rules.map((expr, i) => ({ rule: { family, table: 't', chain: i === 0 ? 'pods' : 'c', handle: i + 10, expr } })),
    ]);

  it('follows a jump into a regular chain (Calico/kube-router style), and comes back on return', () => {
    const r = base('forward', 'accept', [
      [match({ payload: { protocol: 'ip', field: 'daddr' } }, { prefix: { addr: '169.254.0.0', len: 16 } }), { drop: null }],
      [match({ meta: { key: 'iifname' } }, 'docker*'), { jump: { target: 'pods' } }],
    ]);
    assert.equal(evaluateHook(r, 'forward', fromContainer).verdict, 'drop');
    assert.equal(evaluateHook(r, 'forward', { ...fromContainer, daddr: '10.0.0.1' }).verdict, 'accept');
  });

  it('a policy drop decides when no rule accepts; ct state new does not match established', () => {
    const r = base('forward', 'drop', [[], [match({ ct: { key: 'state' } }, ['established', 'related'], 'in'), { accept: null }]]);
    const out = evaluateHook(r, 'forward', fromContainer);
    assert.equal(out.verdict, 'drop');
    assert.equal(out.rule, null);
    assert.equal(out.policyChain?.name, 'c');
  });

  it('sets, != and port ranges', () => {
    const r = base('forward', 'accept', [
      [],
      [match({ payload: { protocol: 'ip', field: 'daddr' } }, { set: ['168.63.129.16', '169.254.169.254'] }), match({ payload: { protocol: 'th', field: 'dport' } }, { range: [1, 1024] }), match({ meta: { key: 'oifname' } }, 'eth1', '!='), { reject: { type: 'tcp reset' } }],
    ]);
    assert.equal(evaluateHook(r, 'forward', fromContainer).verdict, 'reject');
    assert.equal(evaluateHook(r, 'forward', { ...fromContainer, oifname: 'eth1' }).verdict, 'accept');
    assert.equal(evaluateHook(r, 'forward', { ...fromContainer, dport: 8080 }).verdict, 'accept');
  });

  it('a rule it cannot read is skipped and reported; ip6 tables are ignored', () => {
    const r = base('forward', 'accept', [[], [match({ meta: { key: 'skuid' } }, 0), { drop: null }], [iifname('docker0'), { drop: null }]]);
    const out = evaluateHook(r, 'forward', fromContainer);
    assert.equal(out.verdict, 'drop');
    assert.equal(out.rule?.handle, 12);
    assert.deepEqual(out.unevaluated.map((u) => u.handle), [11]);
    assert.equal(evaluateHook(base('forward', 'drop', [[], [iifname('docker0'), { drop: null }]], 'ip6'), 'forward', fromContainer).verdict, 'accept');
  });
});
