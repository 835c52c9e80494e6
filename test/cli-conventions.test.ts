// CLI conventions a new user expects (issue 9): --version, help CMD, unknown options with the closest valid
// one, usage errors exit 2, exec/run 127/126, quiet EPIPE, status/serve privilege messages, Ctrl-C during up
// rolls back, errors that name the fix, hints that work when pasted, LF endings, sudo documented.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commandProblem } from '../src/cli/exec-command.ts';
import { cliInvocation } from '../src/cli/cli-invocation.ts';
import { closestOption, runCli } from '../src/cli/run-cli.ts';
import { assertTunPrivileges, explainListenError } from '../src/cli/serve-errors.ts';
import { openTun, tunAddonMissingMessage } from '../src/link/tun.ts';
import { MAIN } from './helpers/lab-cli.ts';
import { netnsList, privilegedSkipReason, uniqueSuffix } from './helpers/netns.ts';
import { waitForServeUrl } from './helpers/serve-process.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'imds-lab-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

class Sink {
  text = '';
  write(chunk: string | Uint8Array): boolean {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }
}

async function cli(argv: readonly string[], env: NodeJS.ProcessEnv = { ...process.env, IMDS_LAB_RUN_DIR: join(work, 'run') }): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await runCli(argv, { stdout: stdout as unknown as NodeJS.WritableStream, stderr: stderr as unknown as NodeJS.WritableStream, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs main.ts as user nobody (65534), for the non-root messages; undefined where setpriv is unavailable. */
function asNobody(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  chmodSync(work, 0o755);
  const home = join(work, 'nobody');
  mkdirSync(home, { recursive: true });
  chownSync(home, 65534, 65534);
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', MAIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, HOME: home, IMDS_LAB_RUN_DIR: join(work, 'run'), IMDS_LAB_STATE_DIR: join(home, 'state') },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const asRoot = process.getuid?.() === 0 ? undefined : 'needs root to switch to another user';

describe('version and help', () => {
  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${VERSION}\n`);
    }
  });

  it('help CMD prints that command\'s help, as CMD --help does; help of an unknown command exits 2', async () => {
    const viaHelp = await cli(['help', 'up']);
    const viaFlag = await cli(['up', '--help']);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, /^Usage: imds-lab up/);
    assert.equal(viaHelp.stdout, viaFlag.stdout);
    assert.equal((await cli(['help', 'nosuch'])).code, 2);
  });

  it('--help after -- belongs to the command run in the VM, not to exec', async () => {
    const r = await cli(['exec', '--name', `x${uniqueSuffix()}`.slice(0, 10), '--', 'ls', '--help']);
    assert.doesNotMatch(r.stdout, /^Usage: imds-lab exec/);
  });
});

describe('usage errors', () => {
  it('an unknown option names the closest valid one and points at --help, exit 2 (every command style)', async () => {
    const cases: [string[], string][] = [
      [['up', '--nmae', 'x'], '--name'],
      [['status', '--jsn'], '--json'],
      [['serve', '--listn', '127.0.0.1:0'], '--listen'],
      [['ca', '--chian'], '--chain'],
      [['profile', 'show', '--forse'], '--force'],
      [['scenario', 'list', '--jsno'], '--json'],
    ];
    for (const [argv, closest] of cases) {
      const r = await cli(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`unknown option ${argv.find((a) => a.startsWith('--') && !closest.startsWith(a))}.*did you mean ${closest}\\?.*imds-lab ${argv[0]} --help`), argv.join(' '));
    }
  });

  it('closestOption offers nothing for an option unlike any', () => {
    assert.equal(closestOption('--zzzzzzzz', 'Usage: x [--name N] [--json]'), undefined);
    assert.equal(closestOption('--vebrose', '  -v, --verbose   Print'), '--verbose');
  });

  it('other usage errors exit 2 too (they exited 1 before)', async () => {
    for (const argv of [['exec', 'curl'], ['up', '--capture', 'bogus'], ['ca', '--intermediate', '--chain'], ['up', '--vms', 'lots'], ['serve'], ['nosuch']]) {
      const r = await cli(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    }
  });
});

describe('exec and run: 127 for a missing command, 126 for one that is not executable', () => {
  const dir = join(work, 'cmds');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'plain'), 'echo hi\n');
  chmodSync(join(dir, 'plain'), 0o644);
  writeFileSync(join(dir, 'tool'), '#!/bin/sh\necho hi\n');
  chmodSync(join(dir, 'tool'), 0o755);
  mkdirSync(join(dir, 'adir'), { recursive: true });

  it('commandProblem resolves like execvp', () => {
    const env = { PATH: `${dir}:/usr/bin` };
    assert.equal(commandProblem('definitely-not-a-command-9', env)?.code, 127);
    assert.equal(commandProblem(join(dir, 'missing'), env)?.code, 127);
    assert.equal(commandProblem(join(dir, 'plain'), env)?.code, 126);
    assert.equal(commandProblem('plain', env)?.code, 126);
    assert.equal(commandProblem(join(dir, 'adir'), env)?.code, 126);
    assert.equal(commandProblem('tool', env), undefined);
    assert.equal(commandProblem('sh', env), undefined);
  });

  it('run exits 127/126 before any lab is made', { skip: privilegedSkipReason() }, async () => {
    const name = `cv${uniqueSuffix()}`.slice(0, 10);
    const missing = await cli(['run', '--name', name, '--', 'definitely-not-a-command-9']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /command not found/);
    const denied = await cli(['run', '--name', name, '--', join(dir, 'plain')]);
    assert.equal(denied.code, 126, denied.stderr);
    assert.deepEqual(netnsList().filter((ns) => ns.startsWith(`${name}-`)), []);
  });
});

describe('output and signals', () => {
  it('output into a closed pipe ends quietly (no EPIPE stack trace)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'scenario', 'list', '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first write, as with `| head -0`
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    assert.equal(stderr, '', 'nothing on stderr');
    assert.equal(code, 0);
  });

  it('Ctrl-C (SIGINT) during up rolls back what was created so far, exit 130', { skip: privilegedSkipReason() }, async () => {
    const name = `ci${uniqueSuffix()}`.slice(0, 10);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'up', '--name', name, '--capture', 'socket', '--verbose'], {
      cwd: REPO,
      env: { ...process.env, IMDS_LAB_RUN_DIR: join(work, 'run') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Interrupt once the first namespace exists (something to roll back), while later steps still run.
    const poll = setInterval(() => {
      if (!sent && netnsList().some((ns) => ns.startsWith(`${name}-`))) {
        sent = true;
        child.kill('SIGINT');
      }
    }, 10);
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    clearInterval(poll);
    try {
      assert.ok(sent, `SIGINT was sent while up ran: ${stderr}`);
      assert.equal(code, 130, stderr);
      assert.match(stderr, /interrupted by SIGINT: removed .*-/);
    } finally {
      spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'down', '--name', name], { cwd: REPO, env: { ...process.env, IMDS_LAB_RUN_DIR: join(work, 'run') } });
    }
    assert.deepEqual(netnsList().filter((ns) => ns.startsWith(`${name}-`)), [], 'nothing of the lab is left');
  });
});

describe('errors that name the fix', () => {
  it('status as non-root says it needs root, never "not up … run down"', { skip: asRoot }, () => {
    const r = asNobody(['status', '--name', 'imds']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /imds-lab status needs root.*sudo/);
    assert.doesNotMatch(r.stdout + r.stderr, /not up|run imds-lab down/);
  });

  it('serve --capture tun as non-root names privileges and --capture socket', { skip: asRoot }, () => {
    const r = asNobody(['serve', '--capture', 'tun']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /needs root.*--capture socket/);
    assert.doesNotMatch(r.stderr, /identify the root network namespace/);
    assert.throws(() => assertTunPrivileges(1000), /needs root/);
    assert.doesNotThrow(() => assertTunPrivileges(0));
  });

  it('serve on port 80 as non-root: EACCES explained with a port from 1024 up', { skip: asRoot }, () => {
    const r = asNobody(['serve', '--listen', '127.0.0.1:80']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /port 80 is below 1024 .*CAP_NET_BIND_SERVICE.*--listen 127\.0\.0\.1:8080/);
  });

  it('serve on a port in use: EADDRINUSE names the port and what to do', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const r = await cli(['serve', '--listen', `127.0.0.1:${port}`]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use \\(EADDRINUSE\\).*--listen 127\\.0\\.0\\.1:0`));
    } finally {
      blocker.close();
    }
    assert.match(String((explainListenError(Object.assign(new Error('x'), { code: 'EACCES' }), { host: '::1', port: 80 }) as Error).message), /below 1024/);
  });

  it('a missing /dev/net/tun suggests --capture socket', () => {
    assert.throws(() => openTun({ name: 'imdsnodev0', devicePath: join(work, 'no-such-tun') }), (error: Error) => /is missing.*modprobe tun.*--capture socket/.test(error.message));
  });

  it('up without a loadable TUN addon says so and offers --capture socket before creating anything', { skip: privilegedSkipReason() }, () => {
    const name = `na${uniqueSuffix()}`.slice(0, 10);
    // node-gyp-build reads IMDS_LAB_PREBUILD as the directory to load from: point it at nothing.
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'up', '--name', name], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, IMDS_LAB_RUN_DIR: join(work, 'run'), IMDS_LAB_PREBUILD: join(work, 'no-addon-here') },
      timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--capture tun needs the TUN addon .*use --capture socket/);
    assert.deepEqual(netnsList().filter((ns) => ns.startsWith(`${name}-`)), []);
  });

  it('serve --listen works without the TUN addon', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--listen', '127.0.0.1:0'], {
      cwd: REPO,
      env: { ...process.env, IMDS_LAB_STATE_DIR: join(work, 'state'), IMDS_LAB_PREBUILD: join(work, 'no-addon-here') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await waitForServeUrl(child);
      const res = await fetch(`${url}/metadata/versions`, { headers: { Metadata: 'true' } });
      assert.equal(res.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('without the addon the message says --capture socket, never "npm install in the project root"', () => {
    const installed = tunAddonMissingMessage('/usr/lib/node_modules/imds-lab', 'has no binary for linux-riscv64');
    assert.match(installed, /--capture tun needs the TUN addon.*use --capture socket.*npm rebuild imds-lab/);
    assert.doesNotMatch(installed, /project root/);
    assert.match(tunAddonMissingMessage(REPO, 'x'), /scripts\/install-deps/);
  });
});

describe('hints and docs', () => {
  it('hints from a clone use an invocation that works when pasted', () => {
    const invocation = cliInvocation();
    assert.match(invocation, /^npm run -s --prefix \S+ imds-lab --$/);
    const pasted = spawnSync('sh', ['-c', `${invocation} --version`], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(pasted.stdout.trim(), VERSION, pasted.stderr);
  });

  it('the demo prints exec hints with --name', () => {
    const demo = readFileSync(join(REPO, 'src/cli/demo-command.ts'), 'utf8');
    assert.match(demo, /exec --name \$\{state\.name\} -- curl/);
  });

  it('.gitattributes keeps shell scripts, dhclient-script, YAML and the Vagrantfile LF', () => {
    const r = spawnSync('git', ['check-attr', 'eol', '--', 'scripts/run-tests', 'scripts/install-deps', 'netns/dhclient-script', 'netns/base.yaml', 'Vagrantfile', 'x.sh', '.ci/run'], { cwd: REPO, encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 7);
    for (const line of lines) assert.match(line, /: eol: lf$/);
  });

  it('README documents the install, sudo with a user-level install and the supported Node lines', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    assert.match(readme, /npm install -g imds-lab/);
    assert.match(readme, /sudo env "PATH=\$PATH" imds-lab demo/);
    assert.match(readme, /Node(\.js)? 20, 22 (and|or) 24/);
  });
});
