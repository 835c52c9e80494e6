// An nftables ruleset as the doctor reads it: the chains and rules of `nft -j list ruleset`, each rule with
// its text from `nft -a list ruleset` (matched by table and handle). Pure parsing; no I/O.

export interface NftChain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  /** Base chains only: filter, nat, route. */
  readonly type?: string;
  readonly hook?: string;
  readonly prio?: number;
  readonly policy?: string;
}

export interface NftRule {
  readonly family: string;
  readonly table: string;
  readonly chain: string;
  readonly handle: number;
  /** The rule's statements as nft's JSON schema gives them (libnftables-json(5)). */
  readonly expr: readonly unknown[];
  /** The rule as `nft list ruleset` prints it (without the handle comment). */
  readonly text: string;
}

export interface NftRuleset {
  readonly chains: readonly NftChain[];
  readonly rules: readonly NftRule[];
  /** Why the ruleset could not be read (nft missing, unparsable output); the lists are then empty. */
  readonly error?: string;
}

/** Rule texts from `nft -a list ruleset`, keyed `family table handle`. */
export function ruleTexts(listing: string): Map<string, string> {
  const texts = new Map<string, string>();
  let table = '';
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) {
      table = `${t[1]} ${t[2]}`;
      continue;
    }
    const rule = /^(.*\S)\s+# handle (\d+)$/.exec(line);
    if (rule && !/^(chain|set|map|flowtable)\s.*\{$/.test(rule[1]!)) texts.set(`${table} ${rule[2]}`, rule[1]!);
  }
  return texts;
}

/** Builds the ruleset from `nft -j list ruleset` and `nft -a list ruleset`. */
export function parseNftRuleset(json: string, listing: string): NftRuleset {
  let items: unknown[];
  try {
    const parsed = JSON.parse(json) as { nftables?: unknown };
    if (!Array.isArray(parsed.nftables)) throw new Error('no "nftables" array');
    items = parsed.nftables;
  } catch (error) {
    return { chains: [], rules: [], error: `nft -j list ruleset: ${(error as Error).message}` };
  }
  const texts = ruleTexts(listing);
  const chains: NftChain[] = [];
  const rules: NftRule[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const { chain, rule } = item as { chain?: Record<string, unknown>; rule?: Record<string, unknown> };
    if (chain) {
      const c: { -readonly [K in keyof NftChain]: NftChain[K] } = { family: String(chain.family), table: String(chain.table), name: String(chain.name) };
      if (typeof chain.type === 'string') c.type = chain.type;
      if (typeof chain.hook === 'string') c.hook = chain.hook;
      if (typeof chain.prio === 'number') c.prio = chain.prio;
      if (typeof chain.policy === 'string') c.policy = chain.policy;
      chains.push(c);
    } else if (rule) {
      const family = String(rule.family);
      const table = String(rule.table);
      const handle = Number(rule.handle);
      rules.push({
        family,
        table,
        chain: String(rule.chain),
        handle,
        expr: Array.isArray(rule.expr) ? rule.expr : [],
        text: texts.get(`${family} ${table} ${handle}`) ?? '(rule text not available)',
      });
    }
  }
  return { chains, rules };
}

/** `family table chain: rule` — how the doctor names a rule. */
export function describeRule(rule: NftRule): string {
  return `${rule.family} ${rule.table} ${rule.chain}: ${rule.text}`;
}
