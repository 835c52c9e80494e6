// The package end to end, as a user gets it: npm pack (no test files inside), install the tarball with the
// C toolchain hidden from PATH, then --version, serve answering on loopback, up/exec/ca --lab/down with TUN
// capture, and a consumer .ts type-checked (strict, skipLibCheck false) against the installed declarations.
// IMDS_LAB_TARBALL reuses a packed tarball (scripts/run-tests packs once, via scripts/package-smoke, for every Node line).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { netnsList, privilegedSkipReason, uniqueSuffix } from './helpers/netns.ts';
import { waitForServeUrl } from './helpers/serve-process.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const TOOLCHAIN = /^(cc|c\+\+|cpp|gcc|g\+\+|clang.*|make|gmake|python.*|ld|as|.*-gcc(-\d+)?|.*-g\+\+(-\d+)?|gcc-\d+|g\+\+-\d+|x86_64-linux-gnu-.*|aarch64-linux-gnu-.*)$/;
const work = mkdtempSync(join(tmpdir(), 'imds-lab-pkg-'));
const bin = join(work, 'bin');
const prefix = join(work, 'global');
const cli = join(prefix, 'bin', 'imds-lab');
// The toolchain-free PATH: links to every tool but compilers, `node` being the running one (Node 22/24 runs).
const PATH = [bin, '/usr/sbin', '/sbin'].join(':');
const env: NodeJS.ProcessEnv = { ...process.env, PATH, IMDS_LAB_RUN_DIR: join(work, 'run'), IMDS_LAB_STATE_DIR: join(work, 'state'), npm_config_nodedir: '' };
delete env['PYTHON'];
delete env['npm_config_python'];

function run(command: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: options.cwd ?? work, env, encoding: 'utf8', input: options.input ?? '', timeout: 180_000, maxBuffer: 64 << 20 });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(result.status, 0, `${what} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The packed file list, checked for what belongs in the package and what does not. */
function checkListing(paths: ReadonlySet<string>): void {
  const tests = [...paths].filter((p) => /\.test\.|\/test\//.test(p));
  assert.deepEqual(tests, [], 'the tarball holds no tests');
  for (const expected of ['LICENSE', 'README.md', 'binding.gyp', 'dist/src/cli/main.js', 'dist/src/lib.d.ts', 'netns/base.yaml', 'src/link/native/tcp-coalesce.h', 'prebuilds/linux-x64/imds-lab.glibc.node', 'prebuilds/linux-arm64/imds-lab.glibc.node']) {
    assert.ok(paths.has(expected), `the tarball holds ${expected}`);
  }
  assert.ok(![...paths].some((p) => p.endsWith('.map') || p.startsWith('dist/test/') || p.startsWith('dist/scripts/')), 'no source maps, dist/test or dist/scripts');
}

function packTarball(): string {
  const given = process.env['IMDS_LAB_TARBALL'];
  if (given) {
    assert.ok(existsSync(given), `IMDS_LAB_TARBALL ${given} exists (did npm pack fail earlier?)`);
    const listing = spawnSync('tar', ['-tzf', given], { encoding: 'utf8', maxBuffer: 64 << 20 });
    checkListing(new Set(listing.stdout.split('\n').filter(Boolean).map((p) => p.replace(/^package\//, ''))));
    return given;
  }
  // npm pack runs prepack: the tsc build of src and the prebuilt addons (scripts/build-prebuilds).
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  assert.equal(packed.status, 0, `npm pack failed:\n${packed.stderr}\n${packed.stdout.slice(-4000)}`);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  checkListing(new Set(info!.files.map((f) => f.path)));
  return join(work, info!.filename);
}

function hideToolchain(): void {
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (TOOLCHAIN.test(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Metadata: 'true' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the npm package, installed without a C toolchain', () => {
  let tarball = '';
  before(() => {
    tarball = packTarball();
    hideToolchain();
    const found = run('sh', ['-c', 'command -v cc || command -v gcc || command -v make || command -v python3']);
    assert.notEqual(found.status, 0, `the toolchain is hidden from PATH (found ${found.stdout.trim()})`);
    ok(run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball]), 'npm install -g TARBALL');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('runs: imds-lab --version and -V print the package version', () => {
    assert.equal(ok(run(cli, ['--version']), '--version').trim(), VERSION);
    assert.equal(ok(run(cli, ['-V']), '-V').trim(), VERSION);
  });

  it('loaded the prebuilt addon (nothing was compiled)', () => {
    const root = join(prefix, 'lib', 'node_modules', 'imds-lab');
    assert.equal(existsSync(join(root, 'build')), false, 'no source build happened');
    const loaded = run(process.execPath, ['-e', `require(${JSON.stringify(join(root, 'node_modules', 'node-gyp-build'))})(${JSON.stringify(root)})`]);
    ok(loaded, 'node-gyp-build finds the prebuilt tun.node');
  });

  it('serve answers an IMDS request on 127.0.0.1', async () => {
    const child = spawn(cli, ['serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await waitForServeUrl(child);
      const answer = await get(`${url}/metadata/instance?api-version=2021-02-01`);
      assert.equal(answer.status, 200, answer.body);
      assert.match((JSON.parse(answer.body) as { compute: { vmId: string } }).compute.vmId, /^[0-9a-f-]{36}$/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('a consumer .ts type-checks against the installed declarations (strict, skipLibCheck false)', () => {
    const consumer = join(work, 'consumer');
    mkdirSync(join(consumer, 'node_modules'), { recursive: true });
    symlinkSync(join(prefix, 'lib', 'node_modules', 'imds-lab'), join(consumer, 'node_modules', 'imds-lab'));
    writeFileSync(join(consumer, 'package.json'), '{ "type": "module", "private": true }\n');
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')] }, files: ['consumer.ts'] }),
    );
    writeFileSync(
      join(consumer, 'consumer.ts'),
      `import { startDaemon, type DaemonHandle } from 'imds-lab';\n` +
        `export async function serve(): Promise<string> {\n` +
        `  const handle: DaemonHandle = await startDaemon({ capture: 'socket', listen: { host: '127.0.0.1', port: 0 }, stateDir: '/tmp/imds-lab-consumer' });\n` +
        `  const url: string = handle.address.url;\n  await handle.close();\n  return url;\n}\n`,
    );
    ok(run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer]), 'tsc on the consumer project');
  });

  it('up / exec / ca --lab / down with TUN capture', { skip: privilegedSkipReason() }, () => {
    const name = `pk${uniqueSuffix()}`.slice(0, 10);
    try {
      ok(run(cli, ['up', '--name', name, '--capture', 'tun']), 'imds-lab up');
      const vmId = ok(run(cli, ['exec', '--name', name, '--', 'curl', '-s', '--max-time', '5', '-H', 'Metadata:true', 'http://169.254.169.254/metadata/instance/compute/vmId?api-version=2021-02-01&format=text']), 'imds-lab exec curl');
      assert.match(vmId, /^[0-9a-f-]{36}$/);
      // ca --lab: the docs' openssl recipe verifies the attested document's signer against that lab's root.
      const attested = ok(run(cli, ['exec', '--name', name, '--', 'curl', '-s', '--max-time', '5', '-H', 'Metadata:true', 'http://169.254.169.254/metadata/attested/document?api-version=2020-09-01&nonce=1234567890']), 'attested');
      writeFileSync(join(work, 'sig.der'), Buffer.from((JSON.parse(attested) as { signature: string }).signature, 'base64'));
      ok(run('openssl', ['pkcs7', '-in', 'sig.der', '-inform', 'DER', '-print_certs', '-out', 'signer.pem']), 'openssl pkcs7');
      writeFileSync(join(work, 'root.pem'), ok(run(cli, ['ca', '--lab', name]), 'ca --lab'));
      writeFileSync(join(work, 'intermediate.pem'), ok(run(cli, ['ca', '--lab', name, '--intermediate']), 'ca --lab --intermediate'));
      const chain = ok(run(cli, ['ca', '--lab', name, '--chain']), 'ca --lab --chain');
      assert.equal(chain, readFileSync(join(work, 'intermediate.pem'), 'utf8') + readFileSync(join(work, 'root.pem'), 'utf8'));
      assert.match(ok(run('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'intermediate.pem', 'signer.pem']), 'openssl verify'), /signer\.pem: OK/);
      // The default state directory's PKI is another one: the recipe fails against it (why --lab exists).
      writeFileSync(join(work, 'other-root.pem'), ok(run(cli, ['ca', '--state-dir', join(work, 'other')]), 'ca --state-dir'));
      assert.notEqual(run('openssl', ['verify', '-CAfile', 'other-root.pem', '-untrusted', 'intermediate.pem', 'signer.pem']).status, 0);
    } finally {
      const down = run(cli, ['down', '--name', name]);
      assert.equal(down.status, 0, down.stderr);
      assert.deepEqual(netnsList().filter((ns) => ns.startsWith(`${name}-`)), [], 'nothing of the lab is left');
    }
  });
});
