// Tests for `imds-lab profile init|check|show` (run in-process through runCli with captured streams).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCliCaptured, type CliResult } from '../../test/helpers/cli-capture.ts';
import { DEFAULT_PROFILE, defaultProfileDocument } from '../config/default-profile.ts';
import { loadProfile } from '../config/load-profile.ts';

const cli = (...argv: string[]): Promise<CliResult> => runCliCaptured(argv);

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'imds-lab-cli-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('init writes the default profile (JSON, or YAML by flag/extension) and refuses to overwrite', async () => {
  await withDir(async (dir) => {
    const json = join(dir, 'vm.json');
    const first = await cli('profile', 'init', json);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(readFileSync(json, 'utf8')), defaultProfileDocument());
    assert.deepEqual(await loadProfile(json), DEFAULT_PROFILE);

    writeFileSync(json, '{}');
    const again = await cli('profile', 'init', json);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists \(use --force to overwrite\)/);
    assert.equal(readFileSync(json, 'utf8'), '{}', 'file untouched');
    assert.equal((await cli('profile', 'init', json, '--force')).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(json, 'utf8')), defaultProfileDocument());

    for (const [name, args] of [['a.yaml', []], ['b.txt', ['--yaml']]] as const) {
      const file = join(dir, name);
      assert.equal((await cli('profile', 'init', file, ...args)).code, 0);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /^# imds-lab VM profile/);
      assert.match(text, /platformFaultDomain: "36"/, 'numeric-looking strings stay quoted');
      assert.deepEqual(parse(text), defaultProfileDocument());
      assert.deepEqual(await loadProfile(file), DEFAULT_PROFILE);
    }
  });
});

test('check prints ok, or every problem with its path and exits 1', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'vm.yaml');
    await cli('profile', 'init', file);
    const ok = await cli('profile', 'check', file);
    assert.deepEqual(ok, { code: 0, stdout: 'ok\n', stderr: '' });
    writeFileSync(file, readFileSync(file, 'utf8').replace('platformFaultDomain: "36"', 'platformFaultDomain: 36').replace('vmSize:', 'vmSzie:'));
    const bad = await cli('profile', 'check', file);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stdout,
      `${file}: 2 problems\n` +
        '  instance.compute.vmSzie: unknown key (did you mean "vmSize"?)\n' +
        '  instance.compute.platformFaultDomain: must be a string, got number 36 (IMDS sends every value as a string: write "36")\n',
    );
    const missing = await cli('profile', 'check', join(dir, 'none.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /file not found/);
  });
});

test('show prints the effective profile (default without FILE), JSON or YAML', async () => {
  await withDir(async (dir) => {
    const shown = await cli('profile', 'show');
    assert.equal(shown.code, 0);
    assert.deepEqual(JSON.parse(shown.stdout), JSON.parse(JSON.stringify(DEFAULT_PROFILE)));
    const file = join(dir, 'small.json');
    const doc = defaultProfileDocument() as unknown as Record<string, unknown>;
    delete doc.service;
    delete doc.identity;
    writeFileSync(file, JSON.stringify(doc));
    const effective = await cli('profile', 'show', file, '--yaml');
    assert.equal(effective.code, 0);
    const parsed = parse(effective.stdout) as Record<string, unknown>;
    assert.deepEqual(parsed.service, JSON.parse(JSON.stringify(DEFAULT_PROFILE.service)), 'defaults filled in');
    writeFileSync(file, '{"instance": 1}');
    const invalid = await cli('profile', 'show', file);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /instance: must be an object/);
  });
});

test('usage errors exit 2', async () => {
  for (const args of [[], ['frobnicate'], ['init'], ['check'], ['check', 'a', 'b'], ['show', '--force'], ['init', 'x', '--bogus']]) {
    const result = await cli('profile', ...args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /Usage:/);
  }
  const help = await cli('profile', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /imds-lab profile init FILE \[--force\] \[--yaml\]/);
});
