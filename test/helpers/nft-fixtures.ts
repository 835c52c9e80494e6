// The container scenarios' real nftables rulesets (test/fixtures/nft-container/), parsed as the doctor parses them.
import { readFileSync } from 'node:fs';
import { parseNftRuleset, type NftRuleset } from '../../src/lab/nft-ruleset.ts';

const DIR = new URL('../fixtures/nft-container/', import.meta.url);

/** `name`: a scenario, or `<scenario>-fixed`. */
export function nftFixture(name: string): NftRuleset {
  return parseNftRuleset(readFileSync(new URL(`${name}.json`, DIR), 'utf8'), readFileSync(new URL(`${name}.txt`, DIR), 'utf8'));
}
