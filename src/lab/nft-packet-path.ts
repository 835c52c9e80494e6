// What an nftables ruleset does to one IPv4 packet at one hook: the base chains of that hook in priority
// order (families ip and inet), jumps included; the verdict, the rule that gave it and any NAT. Pure.
// Understood matches: iifname/oifname (with trailing *), l4proto, ip saddr/daddr/protocol, tcp/udp/th
// ports, ct state; a rule with anything else is skipped and listed as not evaluated.
import { parseCidr, cidrContains } from './lab-addressing.ts';
import type { NftChain, NftRule, NftRuleset } from './nft-ruleset.ts';

/** The first packet of a connection (ct state new). */
export interface NftPacket {
  readonly iifname?: string;
  readonly oifname?: string;
  readonly saddr: string;
  readonly daddr: string;
  readonly protocol: 'tcp' | 'udp';
  readonly dport: number;
}

export type NftVerdict = 'accept' | 'drop' | 'reject';

export interface NftNat {
  readonly kind: 'dnat' | 'snat' | 'masquerade' | 'redirect';
  /** dnat/snat target address (absent for masquerade and redirect). */
  readonly addr?: string;
  readonly port?: number;
  readonly rule: NftRule;
}

export interface NftHookResult {
  readonly verdict: NftVerdict;
  /** The rule that dropped or rejected (or accepted last); null when no rule matched (chain policies decided). */
  readonly rule: NftRule | null;
  /** The base chain whose policy dropped, when a policy did. */
  readonly policyChain: NftChain | null;
  /** The first NAT statement that applied at this hook. */
  readonly nat: NftNat | null;
  /** Rules skipped because they use matches this evaluator does not understand. */
  readonly unevaluated: readonly NftRule[];
}

type Value = string | number;
const UNKNOWN = Symbol('unknown');

function field(left: unknown, p: NftPacket): Value | undefined | typeof UNKNOWN {
  if (typeof left !== 'object' || left === null) return UNKNOWN;
  const { meta, payload, ct } = left as { meta?: { key?: string }; payload?: { protocol?: string; field?: string }; ct?: { key?: string } };
  if (meta) {
    if (meta.key === 'iifname') return p.iifname;
    if (meta.key === 'oifname') return p.oifname;
    if (meta.key === 'l4proto') return p.protocol;
    if (meta.key === 'nfproto') return 'ipv4';
    return UNKNOWN;
  }
  if (payload) {
    const key = `${payload.protocol} ${payload.field}`;
    if (key === 'ip saddr') return p.saddr;
    if (key === 'ip daddr') return p.daddr;
    if (key === 'ip protocol') return p.protocol;
    if (payload.field === 'dport' && (payload.protocol === p.protocol || payload.protocol === 'th')) return p.dport;
    if ((payload.field === 'dport' || payload.field === 'sport') && (payload.protocol === 'tcp' || payload.protocol === 'udp')) return undefined; // the other protocol: no match
    return UNKNOWN;
  }
  if (ct?.key === 'state') return 'new';
  return UNKNOWN;
}

function isAddress(v: unknown): v is string {
  return typeof v === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(v);
}

/** Does `value` equal (or fall in) the JSON `right` side? UNKNOWN for forms not understood. */
function contains(right: unknown, value: Value): boolean | typeof UNKNOWN {
  if (typeof right === 'number') return value === right;
  if (typeof right === 'string') {
    if (right.endsWith('*') && typeof value === 'string') return value.startsWith(right.slice(0, -1));
    if (right.startsWith('@')) return UNKNOWN; // a named set
    return String(value) === right;
  }
  if (Array.isArray(right)) return anyOf(right, value);
  if (typeof right !== 'object' || right === null) return UNKNOWN;
  const r = right as { prefix?: { addr?: unknown; len?: unknown }; set?: unknown; range?: unknown };
  if (r.prefix && isAddress(r.prefix.addr) && typeof r.prefix.len === 'number' && isAddress(value)) {
    return cidrContains(parseCidr(`${r.prefix.addr}/${r.prefix.len}`), value);
  }
  if (Array.isArray(r.set)) return anyOf(r.set, value);
  if (r.set !== undefined) return contains(r.set, value);
  if (Array.isArray(r.range) && r.range.length === 2) {
    const [lo, hi] = r.range;
    if (typeof lo === 'number' && typeof hi === 'number' && typeof value === 'number') return value >= lo && value <= hi;
  }
  return UNKNOWN;
}

function anyOf(items: readonly unknown[], value: Value): boolean | typeof UNKNOWN {
  let unknown = false;
  for (const item of items) {
    const hit = contains(item, value);
    if (hit === true) return true;
    if (hit === UNKNOWN) unknown = true;
  }
  return unknown ? UNKNOWN : false;
}

function matches(m: { op?: string; left?: unknown; right?: unknown }, p: NftPacket): boolean | typeof UNKNOWN {
  const value = field(m.left, p);
  if (value === UNKNOWN) return UNKNOWN;
  if (value === undefined) return m.op === '!=';
  const hit = contains(m.right, value);
  if (hit === UNKNOWN) return UNKNOWN;
  if (m.op === '==' || m.op === 'in' || m.op === undefined) return hit;
  if (m.op === '!=') return !hit;
  return UNKNOWN;
}

type RuleOutcome =
  | { readonly kind: 'no-match' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'verdict'; readonly verdict: NftVerdict | 'return' }
  | { readonly kind: 'jump'; readonly target: string; readonly goto: boolean }
  | { readonly kind: 'nat'; readonly nat: Omit<NftNat, 'rule'> }
  | { readonly kind: 'continue' };

function evaluateRule(rule: NftRule, p: NftPacket): RuleOutcome {
  for (const statement of rule.expr) {
    if (typeof statement !== 'object' || statement === null) continue;
    const s = statement as Record<string, unknown>;
    if ('match' in s) {
      const hit = matches(s.match as { op?: string; left?: unknown; right?: unknown }, p);
      if (hit === UNKNOWN) return { kind: 'unknown' };
      if (!hit) return { kind: 'no-match' };
      continue;
    }
    if ('accept' in s) return { kind: 'verdict', verdict: 'accept' };
    if ('drop' in s) return { kind: 'verdict', verdict: 'drop' };
    if ('reject' in s) return { kind: 'verdict', verdict: 'reject' };
    if ('return' in s) return { kind: 'verdict', verdict: 'return' };
    if ('jump' in s || 'goto' in s) {
      const target = ((s.jump ?? s.goto) as { target?: unknown } | null)?.target;
      if (typeof target === 'string') return { kind: 'jump', target, goto: 'goto' in s };
      return { kind: 'unknown' };
    }
    for (const kind of ['dnat', 'snat', 'masquerade', 'redirect'] as const) {
      if (!(kind in s)) continue;
      const arg = (s[kind] ?? {}) as { addr?: unknown; port?: unknown };
      const nat: { -readonly [K in keyof Omit<NftNat, 'rule'>]: NftNat[K] } = { kind };
      if (typeof arg.addr === 'string') nat.addr = arg.addr;
      if (typeof arg.port === 'number') nat.port = arg.port;
      return { kind: 'nat', nat };
    }
    // counter, log, comment, meta set, …: no effect on the verdict.
  }
  return { kind: 'continue' };
}

interface ChainOutcome {
  readonly verdict: NftVerdict | null;
  readonly rule: NftRule | null;
  readonly nat: NftNat | null;
}

function evaluateChain(ruleset: NftRuleset, chain: NftChain, p: NftPacket, unevaluated: NftRule[], depth: number): ChainOutcome {
  if (depth > 16) return { verdict: null, rule: null, nat: null };
  const rules = ruleset.rules.filter((r) => r.family === chain.family && r.table === chain.table && r.chain === chain.name);
  for (const rule of rules) {
    const outcome = evaluateRule(rule, p);
    switch (outcome.kind) {
      case 'no-match':
      case 'continue':
        break;
      case 'unknown':
        unevaluated.push(rule);
        break;
      case 'nat':
        return { verdict: 'accept', rule, nat: { ...outcome.nat, rule } };
      case 'verdict':
        if (outcome.verdict === 'return') return { verdict: null, rule: null, nat: null };
        return { verdict: outcome.verdict, rule, nat: null };
      case 'jump': {
        const target = ruleset.chains.find((c) => c.family === chain.family && c.table === chain.table && c.name === outcome.target);
        if (!target) break;
        const inner = evaluateChain(ruleset, target, p, unevaluated, depth + 1);
        if (inner.verdict !== null || outcome.goto) return inner;
      }
    }
  }
  return { verdict: null, rule: null, nat: null };
}

/** Runs the packet through every base chain of `hook` (ip and inet families), lowest priority first. */
export function evaluateHook(ruleset: NftRuleset, hook: string, p: NftPacket): NftHookResult {
  const unevaluated: NftRule[] = [];
  const chains = ruleset.chains.filter((c) => c.hook === hook && (c.family === 'ip' || c.family === 'inet')).sort((a, b) => (a.prio ?? 0) - (b.prio ?? 0));
  let nat: NftNat | null = null;
  let last: NftRule | null = null;
  for (const chain of chains) {
    const outcome = evaluateChain(ruleset, chain, p, unevaluated, 0);
    if (outcome.nat && !nat) nat = outcome.nat;
    if (outcome.verdict === 'drop' || outcome.verdict === 'reject') return { verdict: outcome.verdict, rule: outcome.rule, policyChain: null, nat, unevaluated };
    if (outcome.verdict === 'accept') {
      last = outcome.rule;
      continue;
    }
    if (chain.policy === 'drop') return { verdict: 'drop', rule: null, policyChain: chain, nat, unevaluated };
  }
  return { verdict: 'accept', rule: last, policyChain: null, nat, unevaluated };
}
