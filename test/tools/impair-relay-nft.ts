// The nftables alternative to the relay: random drops (`numgen random mod 1000 < N drop`) at one hook of a namespace,
// optionally only TCP SYNs or one interface. Not seedable (the kernel's random), but no relay in the path.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImpairmentError } from '../../src/link/impairment.ts';

export type NftImpairmentOptions = {
  ns: string;
  /** Probability in [0, 1] (resolution 0.001) that a matching packet is dropped. */
  loss: number;
  hook?: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  /** Only packets arriving on / leaving by this interface. */
  iifname?: string;
  oifname?: string;
  /** 'all' packets, or only TCP SYNs without ACK (connection attempts, scenario S4). */
  match?: 'all' | 'tcp-syn';
};

export type NftImpairment = {
  /** Packets dropped so far (the rule's counter). */
  dropped(): number;
  close(): void;
};

const TABLE = 'imdslab_impair';
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

function nft(ns: string, args: readonly string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Installs the drop rule in `ns` (its own table, removed by close()). */
export function applyNftImpairment(options: NftImpairmentOptions): NftImpairment {
  const { ns, loss } = options;
  if (!(typeof loss === 'number' && loss >= 0 && loss <= 1)) throw new ImpairmentError('ERR_BAD_IMPAIRMENT', `nft.loss must be a probability in [0, 1], got ${String(loss)}`);
  for (const field of ['iifname', 'oifname'] as const) {
    const value = options[field];
    if (value !== undefined && !IFNAME.test(value)) throw new ImpairmentError('ERR_BAD_IMPAIRMENT', `nft.${field} must be an interface name, got ${JSON.stringify(value)}`);
  }
  const hook = options.hook ?? 'prerouting';
  const match = [
    options.iifname ? `iifname "${options.iifname}"` : '',
    options.oifname ? `oifname "${options.oifname}"` : '',
    options.match === 'tcp-syn' ? 'tcp flags & (syn | ack) == syn' : '',
  ].filter(Boolean).join(' ');
  const perMille = Math.round(loss * 1000);
  // nft rejects `< 1000` (out of range): loss 1 drops every match; loss 0 installs no rule.
  const chance = perMille >= 1000 ? '' : `numgen random mod 1000 < ${perMille}`;
  const rule = perMille === 0 ? [] : [`    ${match} ${chance} counter drop`];
  const ruleset = [`table ip ${TABLE} {`, '  chain impair {', `    type filter hook ${hook} priority -150; policy accept;`, ...rule, '  }', '}', ''].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'imds-lab-nft-'));
  try {
    writeFileSync(join(dir, 'impair.nft'), ruleset);
    nft(ns, ['-f', join(dir, 'impair.nft')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let closed = false;
  return {
    dropped() {
      const listing = JSON.parse(nft(ns, ['-j', 'list', 'chain', 'ip', TABLE, 'impair'])) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
      for (const item of listing.nftables) {
        const counter = item.rule?.expr.find((e) => e.counter)?.counter;
        if (counter) return counter.packets;
      }
      return 0; // loss 0: no rule
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        nft(ns, ['delete', 'table', 'ip', TABLE]);
      } catch {
        // the namespace may already be gone
      }
    },
  };
}
