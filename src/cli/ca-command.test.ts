// Tests of `imds-lab ca`: root by default, --intermediate, --chain, --out, flag errors, PKI reuse.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCliCaptured } from '../../test/helpers/cli-capture.ts';
import { makeTempDir } from '../../test/helpers/signing-fixtures.ts';

const cli = runCliCaptured;

const certificates = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) ?? [];

describe('imds-lab ca', () => {
  let tmp: { path: string; remove(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  before(async () => {
    tmp = await makeTempDir('ca');
    env = { IMDS_LAB_STATE_DIR: join(tmp.path, 'state'), HOME: tmp.path };
  });
  after(() => tmp.remove());

  it('creates the PKI on first use and prints the self-signed root (LF line endings)', async () => {
    const { code, stdout, stderr } = await cli(['ca'], env);
    assert.equal(code, 0, stderr);
    assert.equal(certificates(stdout).length, 1);
    assert.ok(!stdout.includes('\r'));
    const root = new X509Certificate(stdout);
    assert.match(root.subject, /CN=imds-lab Emulator Root CA/);
    assert.ok(root.checkIssued(root));
    assert.equal((await stat(join(tmp.path, 'state'))).mode & 0o777, 0o700);
    assert.equal((await cli(['ca'], env)).stdout, stdout, 'second run prints the same root');
  });

  it('--intermediate prints the issuing CA; --chain prints issuing CA then root', async () => {
    const root = (await cli(['ca'], env)).stdout;
    const intermediate = (await cli(['ca', '--intermediate'], env)).stdout;
    assert.match(new X509Certificate(intermediate).subject, /CN=imds-lab Emulator TLS Issuing CA 05/);
    assert.ok(new X509Certificate(intermediate).checkIssued(new X509Certificate(root)));
    const chain = (await cli(['ca', '--chain'], env)).stdout;
    assert.deepEqual(certificates(chain), [intermediate, root]);
  });

  it('--state-dir wins over the environment and --out writes a file', async () => {
    const dir = join(tmp.path, 'explicit');
    const file = join(tmp.path, 'root.pem');
    const { code, stdout } = await cli(['ca', '--state-dir', dir, '--out', file], env);
    assert.equal(code, 0);
    assert.equal(stdout, '');
    const written = await readFile(file, 'utf8');
    assert.match(new X509Certificate(written).subject, /imds-lab Emulator Root CA/);
    assert.notEqual(written, (await cli(['ca'], env)).stdout, 'a different state dir holds a different PKI');
    assert.equal((await stat(join(dir, 'pki', 'root-ca.key.pem'))).mode & 0o777, 0o600);
  });

  it('rejects --intermediate with --chain and unknown flags (exit 2)', async () => {
    const both = await cli(['ca', '--intermediate', '--chain'], env);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /mutually exclusive/);
    const unknown = await cli(['ca', '--bogus'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /bogus/);
  });
});
