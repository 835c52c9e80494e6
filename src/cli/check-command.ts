// `imds-lab check -- CMD…`: grades an unmodified app against IMDS failure cases in fresh labs (docs/check.md);
// also `imds-lab run --report` (one run's behaviour summary, no grading).
import { writeFile } from 'node:fs/promises';
import { PARAMETER_NAMES, type CaseParameters, type CheckCase } from '../check/check-cases.ts';
import type { CaseReport } from '../check/check-report.ts';
import { recordCase } from '../check/record-case.ts';
import { renderBehaviour } from '../check/render-behaviour.ts';
import { renderJunit } from '../check/render-junit.ts';
import { caseLine, renderTable } from '../check/render-table.ts';
import { checkUsageError, runCheck } from '../check/run-check.ts';
import { startLab } from '../lib.ts';
import { renderCheckPage } from '../view/check-page.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { parseFlags } from './cli-options.ts';
import { splitCommand } from './exec-command.ts';
import { requireRoot } from '../lab/lab-setup.ts';
import { DURATION_FORMS, parseDurationText } from '../util/duration.ts';

const HELP = `Usage: imds-lab check [options] -- CMD [ARGS…]

Runs CMD in a fresh lab once per case (a scenario or a fault story), records what it did on the wire and
over HTTP, and grades it against rules from Azure's IMDS guidance. Exit 0 only when every required rule
passed (default: no applicable rule failed). docs/check.md lists the cases, the rules and their sources.

Options:
  --case LIST       Cases to run, comma-separated. Default: healthy, proxy-env, gone-410, throttled-429,
                    server-error-500, slow, black-hole, refused, no-route, secondary-nic, failover-cluster;
                    also secondary-nic-fixed, failover-cluster-fixed, proxy-env-fixed. Without --case,
                    --rule runs only the cases its rules need.
  --rule LIST       Rules to grade (default: all): succeeds-healthy, metadata-header, bypass-proxy,
                    retries-410, backs-off-429, retries-5xx, tolerates-slow, bounded-timeout,
                    fails-fast-absent, within-rate-limit, supported-api-version.
  --require LIST    Rules that must pass for exit 0 (not applicable counts as not passed).
  --jobs N          Labs at a time (default 2).
  --timeout DUR     Kill the command after DUR in every case (default: 60 s, plus the story; hang cases: bound + 5 s).
  --param NAME=V    Change a story or bound (repeatable): gone=20s, throttled-count=3, server-error-count=2,
                    slow=2s, hang-bound=60s, absent-bound=15s, max-attempts=10.
  --json            Print the report as JSON (docs/check.md "JSON").
  --junit FILE      Also write JUnit XML (one testcase per rule).
  --html FILE       Also write a self-contained page: one section per case (rules, evidence, the app's
                    SYNs and requests as a ladder diagram; docs/view.md).
  --profile FILE    VM profile for every lab (default: the embedded example VM).`;

/** A duration flag in the project's one grammar (src/util/duration.ts); a bad one is a usage error naming the flag. */
export function parseCheckDuration(text: string, what: string): number {
  const ms = parseDurationText(text);
  if (ms === undefined) throw checkUsageError(`${what}: expected ${DURATION_FORMS}, got ${JSON.stringify(text)}`);
  return ms;
}

export function parseParameters(list: readonly string[]): Partial<CaseParameters> {
  const out: Partial<Record<keyof CaseParameters, number>> = {};
  for (const item of list) {
    const [name, value] = item.split('=', 2);
    const spec = PARAMETER_NAMES[name ?? ''];
    if (!spec || value === undefined) throw checkUsageError(`--param: expected NAME=VALUE with NAME one of ${Object.keys(PARAMETER_NAMES).join(', ')}, got ${JSON.stringify(item)}`);
    if (spec.kind === 'duration') out[spec.key] = parseCheckDuration(value, `--param ${name}`);
    else {
      if (!/^\d+$/.test(value)) throw checkUsageError(`--param ${name}: expected a whole number, got ${JSON.stringify(value)}`);
      out[spec.key] = Number(value);
    }
  }
  return out;
}

const list = (value: string | undefined): string[] | undefined => (value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s !== ''));

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { options, command } = splitCommand(argv);
  const values = parseFlags(
    options,
    {
      case: { type: 'string' },
      rule: { type: 'string' },
      require: { type: 'string' },
      jobs: { type: 'string' },
      timeout: { type: 'string' },
      param: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      junit: { type: 'string' },
      html: { type: 'string' },
      profile: { type: 'string' },
    },
    checkUsageError,
  );
  const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw checkUsageError(`--jobs: expected 1-16, got ${JSON.stringify(values.jobs)}`);
  const parameters = parseParameters(values.param ?? []);
  const timeoutMs = values.timeout === undefined ? undefined : parseCheckDuration(values.timeout, '--timeout');
  requireRoot('imds-lab check');
  // Ctrl-C / SIGTERM: remove the running labs (which ends the command in them) before exiting.
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const report = await runCheck(
    command,
    {
      ...(list(values.case) ? { cases: list(values.case) } : {}),
      ...(list(values.rule) ? { rules: list(values.rule) } : {}),
      ...(list(values.require) ? { require: list(values.require) } : {}),
      jobs,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(values.profile !== undefined ? { profile: values.profile } : {}),
      parameters,
      env: io.env,
      onCase: values.json ? undefined : (c: CaseReport) => io.stderr.write(`  case ${caseLine(c)}\n`),
      signal: interrupt.signal,
    },
    startLab,
  ).finally(() => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  });
  if (interrupt.signal.aborted) {
    io.stderr.write('imds-lab check: interrupted; the labs were removed\n');
    return 130;
  }
  if (values.junit !== undefined) await writeFile(values.junit, renderJunit(report));
  if (values.html !== undefined) await writeFile(values.html, renderCheckPage(report, new Date().toISOString()));
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report));
  return report.ok ? 0 : 1;
}

export const checkCommand: CliCommand = { name: 'check', help: HELP, run };

/** `imds-lab run --report`: one run in a fresh lab (tun capture) and its behaviour summary; returns CMD's exit code. */
export async function runWithReport(command: readonly string[], lab: { name: string; scenario: string; fixed: boolean; profile?: string | undefined }, io: CliIo): Promise<number> {
  const c: CheckCase = { id: 'run', title: 'one run', scenario: lab.scenario, fixed: lab.fixed, setup: [], rules: [], timeoutMs: 3_600_000, byDefault: false };
  const recording = await recordCase(c, command, { startLab, env: io.env, keepCallerProxies: true, labName: lab.name, ...(lab.profile !== undefined ? { profile: lab.profile } : {}) });
  if (recording.error !== undefined) {
    io.stderr.write(`imds-lab run: ${recording.error}\n`);
    return 125;
  }
  io.stdout.write(renderBehaviour(recording));
  return recording.exit ?? 125;
}
