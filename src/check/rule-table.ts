// The rule table of `imds-lab check`: each stable rule id with its question, its source in Azure's guidance
// or the failure catalogue, the fix a failing app needs, and its pure grading function.
import type { RuleId } from './check-report.ts';
import type { GradeFn } from './rule-types.ts';
import { boundedTimeout, failsFastAbsent } from './rules-network.ts';
import { retries410, retries5xx, succeedsHealthy, toleratesSlow } from './rules-outcome.ts';
import { backsOff429, bypassProxy, metadataHeader, supportedApiVersion, withinRateLimit } from './rules-requests.ts';

export interface RuleDefinition {
  readonly id: RuleId;
  /** What the rule asks, in a few words. */
  readonly title: string;
  /** Where the rule comes from (imds-spec.md sections, scenarios.md entries). */
  readonly source: string;
  /** What to change when it fails. */
  readonly fix: string;
  readonly grade: GradeFn;
}

export const RULES: readonly RuleDefinition[] = [
  {
    id: 'succeeds-healthy',
    title: 'exits 0 when IMDS is healthy',
    source: 'imds-spec §2 (request contract)',
    fix: 'Make the request IMDS expects: GET http://169.254.169.254/metadata/… with Metadata: true and a supported api-version, no proxy.',
    grade: succeedsHealthy,
  },
  {
    id: 'metadata-header',
    title: 'every request carries Metadata: true',
    source: 'imds-spec §2.1',
    fix: 'Send the header Metadata: true on every IMDS request (also on probes); without it IMDS answers 400.',
    grade: metadataHeader,
  },
  {
    id: 'bypass-proxy',
    title: 'never goes through an HTTP proxy',
    source: 'imds-spec §1 (proxies are unsupported), §2.2 (X-Forwarded-For is rejected); scenarios S5, S6',
    fix: "Bypass proxies for 169.254.169.254: NO_PROXY=169.254.169.254 (and no_proxy), curl --noproxy '*', Python proxies={'http': None}, Go Transport{Proxy: nil}.",
    grade: bypassProxy,
  },
  {
    id: 'retries-410',
    title: 'recovers from 410 Gone',
    source: 'imds-spec §2.8 ("retry after some time for a max of 70 seconds"); scenarios S14',
    fix: 'Retry 410 with a delay (e.g. every 1-10 s) for up to 70 s before giving up.',
    grade: retries410,
  },
  {
    id: 'backs-off-429',
    title: 'backs off on 429 and recovers',
    source: 'imds-spec §2.7, §2.8 (429: retry with backoff); scenarios S13',
    fix: 'After a 429 wait at least 1 s and grow the wait (exponential backoff, honour Retry-After when present); stay under 5 requests/s.',
    grade: backsOff429,
  },
  {
    id: 'retries-5xx',
    title: 'recovers from 500',
    source: 'imds-spec §2.8 (500: retry; the MI doc: 5 attempts, exponential backoff); scenarios S14',
    fix: 'Retry 5xx with exponential backoff (the managed-identity doc: 5 attempts, about 0, 2, 6, 14, 30 s).',
    grade: retries5xx,
  },
  {
    id: 'tolerates-slow',
    title: 'succeeds with a 2 s first byte',
    source: 'scenarios S3 (the IMDS team: 10 s SLA, 2-5 s health-check timeouts), S4',
    fix: 'Allow several seconds per attempt (the IMDS team states a 10 s SLA); never treat a slow answer as "IMDS absent" after < 2 s.',
    grade: toleratesSlow,
  },
  {
    id: 'bounded-timeout',
    title: 'ends by itself when IMDS never answers',
    source: 'scenarios S1 (black-holed SYNs hang credential chains), S10, S12',
    fix: 'Set a connect timeout and an overall deadline (a few seconds per attempt, a bounded number of attempts); kernel SYN retries alone take ~2 min.',
    grade: boundedTimeout,
  },
  {
    id: 'fails-fast-absent',
    title: 'fails fast, without a retry storm, when IMDS is absent',
    source: 'scenarios S2 (retry storms on ENETUNREACH); clients-notes (refused: give up at once)',
    fix: 'Treat ECONNREFUSED/ENETUNREACH/EHOSTUNREACH as "IMDS not reachable": at most a few spaced retries, then a clear error.',
    grade: failsFastAbsent,
  },
  {
    id: 'within-rate-limit',
    title: 'never more than 5 requests/s (identity 20/s)',
    source: 'imds-spec §2.7 (5 rps per VM; identity 20 rps, 5 concurrent); scenarios S13',
    fix: 'Cache IMDS answers (tokens until expiry), serialise start-up requests and space retries so no second holds more than 5 requests.',
    grade: withinRateLimit,
  },
  {
    id: 'supported-api-version',
    title: 'uses a supported api-version',
    source: 'imds-spec §2.3 (400 for a missing or unsupported api-version), §3',
    fix: 'Use a supported api-version (GET /metadata/versions lists them, e.g. 2021-02-01).',
    grade: supportedApiVersion,
  },
];

export function ruleDefinition(id: RuleId): RuleDefinition {
  return RULES.find((r) => r.id === id)!;
}
