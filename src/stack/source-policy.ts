// Source policy: which IPv4 sources the served address answers (imds-spec §1.2, scenario S10).
// A pure decision: the stack applies it (silent drop, RST or ICMP admin-prohibited).
import { ImdsLabError } from '../util/errors.ts';

/** What to do with a packet from a source that is not one of the VMs' primary IPs. */
export const SOURCE_REACTIONS = ['drop', 'rst', 'icmp'] as const;
export type SourceReaction = (typeof SOURCE_REACTIONS)[number];

export type SourceDecision = 'accept' | SourceReaction;

export interface SourcePolicy {
  /** Primary IPs (unsigned 32-bit) allowed to talk to IMDS, one per emulated VM. */
  readonly allowed: ReadonlySet<number>;
  /** Reaction to any other source; 'drop' is what Azure does (the client times out). */
  readonly reaction: SourceReaction;
}

export class SourcePolicyError extends ImdsLabError {}

export function createSourcePolicy(allowed: Iterable<number>, reaction: SourceReaction = 'drop'): SourcePolicy {
  if (!(SOURCE_REACTIONS as readonly string[]).includes(reaction)) {
    throw new SourcePolicyError('ERR_SOURCE_POLICY', `sourcePolicy: expected one of ${SOURCE_REACTIONS.join(', ')}, got ${JSON.stringify(reaction)}`);
  }
  const set = new Set<number>();
  for (const address of allowed) {
    if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
      throw new SourcePolicyError('ERR_SOURCE_POLICY', `sourcePolicy: not an IPv4 address value: ${address}`);
    }
    set.add(address >>> 0);
  }
  return { allowed: set, reaction };
}

/** Decides what happens to a packet from `source` (an unsigned 32-bit IPv4 address). */
export function decideSource(policy: SourcePolicy, source: number): SourceDecision {
  return policy.allowed.has(source >>> 0) ? 'accept' : policy.reaction;
}
