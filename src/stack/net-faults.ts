// Network-level faults per VM (scenarios S1–S4): black-holed or flaky SYNs, RST/ICMP answers, delays,
// stalls and segment loss. Pure, seeded decisions; the stack applies them.
import { ImdsLabError } from '../util/errors.ts';
import type { Random } from '../util/seeded-random.ts';
import { IcmpUnreachableCode } from '../wire/icmp.ts';

/** ICMP destination-unreachable codes we can answer with, by fault name. */
export const ICMP_UNREACHABLE_CODES = {
  'icmp-net': IcmpUnreachableCode.NET,
  'icmp-host': IcmpUnreachableCode.HOST,
  'icmp-admin': IcmpUnreachableCode.ADMIN_PROHIBITED,
} as const;

export const SYN_REJECTIONS = ['none', 'rst', 'icmp-net', 'icmp-host', 'icmp-admin'] as const;
export type SynRejection = (typeof SYN_REJECTIONS)[number];

export interface Delay {
  readonly ms: number;
  /** Extra delay drawn uniformly from [0, jitterMs). */
  readonly jitterMs: number;
}

export interface NetFaults {
  /** Probability (0..1) that an incoming SYN vanishes: 1 is a black hole (S1), 0.3 a flaky path (S4). */
  readonly synDropProbability: number;
  /** Answer SYNs with RST or an ICMP unreachable instead of a SYN-ACK (S2). */
  readonly synReject: SynRejection;
  /** Hold the SYN-ACK back (S3). */
  readonly synAckDelay: Delay;
  /** Hold the first response byte back (S3). */
  readonly firstByteDelay: Delay;
  /** Accept the connection and the request, then never send data. */
  readonly stall: boolean;
  /** Probability that any incoming / outgoing TCP segment is dropped. */
  readonly inboundLoss: number;
  readonly outboundLoss: number;
  readonly seed: number;
}

export const NO_DELAY: Delay = Object.freeze({ ms: 0, jitterMs: 0 });

export const NO_FAULTS: NetFaults = Object.freeze({
  synDropProbability: 0,
  synReject: 'none',
  synAckDelay: NO_DELAY,
  firstByteDelay: NO_DELAY,
  stall: false,
  inboundLoss: 0,
  outboundLoss: 0,
  seed: 1,
});

export class NetFaultError extends ImdsLabError {}

export function hasFaults(f: NetFaults): boolean {
  return (
    f.synDropProbability > 0 ||
    f.synReject !== 'none' ||
    f.synAckDelay.ms + f.synAckDelay.jitterMs > 0 ||
    f.firstByteDelay.ms + f.firstByteDelay.jitterMs > 0 ||
    f.stall ||
    f.inboundLoss > 0 ||
    f.outboundLoss > 0
  );
}

export type SynDecision =
  | { readonly action: 'drop' }
  | { readonly action: 'rst' }
  | { readonly action: 'icmp'; readonly code: number }
  | { readonly action: 'accept'; readonly delayMs: number };

/** What to do with a SYN that opens a new connection. */
export function decideSyn(f: NetFaults, random: Random): SynDecision {
  if (f.synDropProbability > 0 && (f.synDropProbability >= 1 || random() < f.synDropProbability)) return { action: 'drop' };
  if (f.synReject === 'rst') return { action: 'rst' };
  if (f.synReject !== 'none') return { action: 'icmp', code: ICMP_UNREACHABLE_CODES[f.synReject] };
  return { action: 'accept', delayMs: drawDelay(f.synAckDelay, random) };
}

export function drawDelay(d: Delay, random: Random): number {
  if (d.jitterMs <= 0) return d.ms;
  return d.ms + Math.floor(random() * d.jitterMs);
}

/** True when a segment should be lost (probability p, seeded). */
export function decideLoss(p: number, random: Random): boolean {
  return p > 0 && (p >= 1 || random() < p);
}

const USAGE =
  'expected comma-separated items: drop-syn[=P], rst, icmp-net, icmp-host, icmp-admin, delay-synack=MS[~JITTER], ' +
  'delay-first-byte=MS[~JITTER], stall, loss=P, loss-in=P, loss-out=P, seed=N';

/** Parses a fault spec such as "drop-syn=0.3,delay-first-byte=2000~500,seed=7" (CLI --net-fault). */
export function parseNetFaults(spec: string, field = 'net-fault'): NetFaults {
  const out: { -readonly [K in keyof NetFaults]: NetFaults[K] } = { ...NO_FAULTS };
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '' || item === 'none') continue;
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    const fail = (why: string): never => {
      throw new NetFaultError('ERR_NET_FAULT', `${field}: ${JSON.stringify(item)}: ${why} (${USAGE})`);
    };
    const prob = (): number => {
      const p = Number(value);
      if (value === undefined || value === '' || !Number.isFinite(p) || p < 0 || p > 1) fail('probability must be in 0..1');
      return p;
    };
    const delay = (): Delay => {
      const m = /^(\d+)(?:~(\d+))?$/.exec(value ?? '');
      if (!m) return fail('delay must be MS or MS~JITTER (milliseconds)');
      return { ms: Number(m[1]), jitterMs: m[2] === undefined ? 0 : Number(m[2]) };
    };
    const flag = (): void => {
      if (value !== undefined) fail('takes no value');
    };
    switch (name) {
      case 'drop-syn':
        out.synDropProbability = value === undefined ? 1 : prob();
        break;
      case 'rst':
      case 'icmp-net':
      case 'icmp-host':
      case 'icmp-admin':
        flag();
        if (out.synReject !== 'none' && out.synReject !== name) fail(`conflicts with ${out.synReject}`);
        out.synReject = name;
        break;
      case 'delay-synack':
        out.synAckDelay = delay();
        break;
      case 'delay-first-byte':
        out.firstByteDelay = delay();
        break;
      case 'stall':
        flag();
        out.stall = true;
        break;
      case 'loss':
        out.inboundLoss = out.outboundLoss = prob();
        break;
      case 'loss-in':
        out.inboundLoss = prob();
        break;
      case 'loss-out':
        out.outboundLoss = prob();
        break;
      case 'seed': {
        const n = Number(value);
        if (value === undefined || !Number.isInteger(n) || n < 0 || n > 0xffffffff) fail('seed must be an integer 0..4294967295');
        out.seed = n;
        break;
      }
      default:
        fail('unknown fault');
    }
  }
  return Object.freeze(out);
}
