// `imds-lab check` command-line parsing without labs: the help names every case, rule and parameter;
// --param and durations are parsed, and bad values are refused with a clear message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCases, PARAMETER_NAMES } from '../src/check/check-cases.ts';
import { RULE_IDS } from '../src/check/check-report.ts';
import { checkCommand, parseCheckDuration, parseParameters } from '../src/cli/check-command.ts';

describe('imds-lab check command line', () => {
  it('the help names every case, every rule and every parameter', () => {
    const help = checkCommand.help.replace(/\s+/g, ' ');
    for (const c of checkCases()) assert.ok(help.includes(c.id), `help names case ${c.id}`);
    for (const id of RULE_IDS) assert.ok(help.includes(id), `help names rule ${id}`);
    for (const name of Object.keys(PARAMETER_NAMES)) assert.ok(help.includes(`${name}=`), `help names --param ${name}`);
  });

  it('--param sets durations and counts; unknown names and bad values are refused', () => {
    assert.deepEqual(parseParameters(['gone=5s', 'slow=1500ms', 'hang-bound=1.5m', 'max-attempts=3']), { goneMs: 5000, slowMs: 1500, hangBoundMs: 90_000, maxAttempts: 3 });
    assert.throws(() => parseParameters(['gon=5s']), /--param: expected NAME=VALUE with NAME one of gone, /);
    assert.throws(() => parseParameters(['max-attempts=many']), /--param max-attempts: expected a whole number, got "many"/);
    assert.throws(() => parseCheckDuration('5 minutes', '--timeout'), /--timeout: expected milliseconds or text like "250ms", "5s", "1\.5m", "2h", got "5 minutes"/);
    assert.equal(parseCheckDuration('250', '--timeout'), 250);
    assert.equal(parseCheckDuration('2h', '--timeout'), 7_200_000);
  });

  it('usage errors come before any lab (and before the root check): no command, bad --jobs', async () => {
    const io = { stdout: process.stdout, stderr: process.stderr, env: {} };
    await assert.rejects(checkCommand.run(['--case', 'healthy'], io), /expected -- before the command/);
    await assert.rejects(checkCommand.run(['--jobs', '0', '--', 'true'], io), /--jobs: expected 1-16, got "0"/);
  });
});
