// The executor with a fake runner: order, rollback in reverse on failure (a batch's lines that ran, a parallel
// group's steps that ran), spawn readiness, and teardown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { executePlan } from './executor.ts';
import { LabError } from './lab-error.ts';
import type { CommandResult, LabRunner, RunOptions } from '../process/lab-runner.ts';
import type { LabStep } from './lab-step.ts';
import { teardownLab } from './teardown.ts';

class FakeRunner implements LabRunner {
  readonly log: string[] = [];
  readonly files = new Map<string, string>();
  readonly alive = new Set<number>();
  readonly cmdlines = new Map<number, string>();
  failOn: RegExp | null = null;
  nextPid = 100;
  time = 0;
  respond: (argv: readonly string[], input?: string) => CommandResult = () => ({ code: 0, stdout: '', stderr: '' });
  exitOnSpawn = false;
  ignoreTerm = new Set<number>();

  async run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    const line = `${argv.join(' ')}${options?.input === undefined ? '' : ` <${options.input.replace(/\n/g, '|')}>`}`;
    this.log.push(`run ${line}`);
    if (this.failOn?.test(line)) return { code: 2, stdout: '', stderr: 'RTNETLINK answers: File exists' };
    return this.respond(argv, options?.input);
  }
  async spawnBackground(argv: readonly string[], logPath: string): Promise<number> {
    const pid = this.nextPid++;
    this.log.push(`spawn ${pid} ${argv.join(' ')}`);
    if (!this.exitOnSpawn) this.alive.add(pid);
    this.files.set(logPath, this.exitOnSpawn ? 'boom: cannot bind\n' : 'imds-lab: serving on http://169.254.169.254:80\n');
    return pid;
  }
  isAlive(pid: number): boolean {
    return this.alive.has(pid);
  }
  kill(pid: number, signal: NodeJS.Signals): boolean {
    this.log.push(`kill ${pid} ${signal}`);
    if (signal === 'SIGKILL' || !this.ignoreTerm.has(pid)) this.alive.delete(pid);
    return true;
  }
  writeFile(path: string, content: string): void {
    this.log.push(`write ${path}`);
    this.files.set(path, content);
  }
  readFile(path: string): string | null {
    const m = /^\/proc\/(\d+)\/cmdline$/.exec(path);
    if (m) return this.cmdlines.get(Number(m[1])) ?? null;
    return this.files.get(path) ?? null;
  }
  removeFile(path: string): void {
    this.log.push(`rm ${path}`);
    for (const key of [...this.files.keys()]) if (key === path || key.startsWith(`${path}/`)) this.files.delete(key);
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
  now(): number {
    return this.time;
  }
}

const steps: LabStep[] = [
  { kind: 'run', argv: ['ip', 'netns', 'add', 't-vm'], undo: ['ip', 'netns', 'del', 't-vm'] },
  { kind: 'run', argv: ['ip', '-n', 't-vm', 'link', 'set', 'lo', 'up'], undo: null },
  { kind: 'write-file', path: '/run/lab/t/x.conf', content: 'x\n' },
  {
    kind: 'spawn',
    id: 'responder',
    argv: ['ip', 'netns', 'exec', 't-host', 'serve'],
    log: '/run/lab/t/responder.log',
    ready: { kind: 'log', match: 'serving on' },
    readyTimeoutMs: 1000,
  },
  { kind: 'run', argv: ['ip', '-n', 't-vm', 'route', 'add', 'default', 'via', '10.1.0.1', 'dev', 'eth0'], undo: ['ip', '-n', 't-vm', 'route', 'del', 'default', 'via', '10.1.0.1', 'dev', 'eth0'] },
];

describe('executePlan', () => {
  it('runs every step in order and reports progress', async () => {
    const runner = new FakeRunner();
    const progress: number[] = [];
    const done = await executePlan(runner, steps, { onProgress: (d) => progress.push(d.length) });
    assert.equal(done.length, 5);
    assert.equal(done[3]!.pid, 100);
    assert.deepEqual(progress, [1, 2, 3, 4, 5]);
    assert.deepEqual(runner.log, [
      'run ip netns add t-vm',
      'run ip -n t-vm link set lo up',
      'write /run/lab/t/x.conf',
      'spawn 100 ip netns exec t-host serve',
      'run ip -n t-vm route add default via 10.1.0.1 dev eth0',
    ]);
  });

  it('undoes what ran, in reverse order, when a step fails', async () => {
    const runner = new FakeRunner();
    runner.failOn = /route add default/;
    await assert.rejects(executePlan(runner, steps), (e: unknown) => {
      assert.ok(e instanceof LabError && e.code === 'ERR_LAB_SETUP');
      assert.match(e.message, /step 5\/5, rolled back 4 step\(s\): ip -n t-vm route add default via 10\.1\.0\.1 dev eth0 failed \(exit 2\): RTNETLINK answers: File exists/);
      return true;
    });
    assert.deepEqual(runner.log.slice(5), ['kill 100 SIGTERM', 'rm /run/lab/t/x.conf', 'run ip netns del t-vm']);
    assert.equal(runner.alive.size, 0);
  });

  it('kills a program that was never ready, and escalates to SIGKILL', async () => {
    const runner = new FakeRunner();
    runner.respond = () => ({ code: 0, stdout: '', stderr: '' });
    const notReady: LabStep[] = [steps[0]!, { ...(steps[3] as Extract<LabStep, { kind: 'spawn' }>), ready: { kind: 'log', match: 'never printed' } }];
    runner.ignoreTerm.add(100);
    await assert.rejects(executePlan(runner, notReady), /responder was not ready after 1 s/);
    assert.ok(runner.log.includes('kill 100 SIGTERM'));
    assert.ok(runner.log.includes('kill 100 SIGKILL'));
    assert.equal(runner.log.at(-1), 'run ip netns del t-vm');
    assert.equal(runner.alive.size, 0);
  });

  it('reports the log of a program that exits at once', async () => {
    const runner = new FakeRunner();
    runner.exitOnSpawn = true;
    await assert.rejects(executePlan(runner, steps), /responder exited before it was ready[\s\S]*boom: cannot bind/);
    assert.equal(runner.log.at(-1), 'run ip netns del t-vm');
  });

  it('waits for a readiness command that matches', async () => {
    const runner = new FakeRunner();
    let calls = 0;
    runner.respond = (argv) => (argv.includes('ss') ? { code: 0, stdout: ++calls >= 3 ? 'LISTEN 0 511 192.168.254.2:8888 0.0.0.0:*\n' : '', stderr: '' } : { code: 0, stdout: '', stderr: '' });
    const events: string[] = [];
    const spawn: LabStep = { kind: 'spawn', id: 'tinyproxy', argv: ['ip', 'netns', 'exec', 't-proxy', 'tinyproxy'], log: '/l', ready: { kind: 'command', argv: ['ip', 'netns', 'exec', 't-proxy', 'ss', '-H', '-l'], match: ':8888\\b' }, readyTimeoutMs: 5000 };
    await executePlan(runner, [spawn], { onEvent: (e) => events.push(e.type) });
    assert.equal(calls, 3);
    assert.deepEqual(events, ['step', 'waiting', 'waiting']);
  });
});

describe('executePlan: batches and parallel groups', () => {
  const batch = (ns: string, n: number): LabStep => ({
    kind: 'batch',
    namespace: ns,
    lines: Array.from({ length: n }, (_, i) => ({ args: ['addr', 'add', `10.0.0.${i + 1}/32`, 'dev', 'lo'], undo: i === 0 ? null : ['addr', 'del', `10.0.0.${i + 1}/32`, 'dev', 'lo'] })),
  });
  /** ip -batch stops at the failing line and names it (iproute2: "Command failed -:N"). */
  const failAtLine = (runner: FakeRunner, ns: string, line: number): void => {
    runner.respond = (argv) =>
      argv.join(' ') === `ip -n ${ns} -batch -` ? { code: 1, stdout: '', stderr: `Error: ipv4: Address already assigned.\nCommand failed -:${line}\n` } : { code: 0, stdout: '', stderr: '' };
  };

  it('runs a batch as one ip -batch with the lines on stdin', async () => {
    const runner = new FakeRunner();
    await executePlan(runner, [batch('t-vm', 3)]);
    assert.deepEqual(runner.log, ['run ip -n t-vm -batch - <addr add 10.0.0.1/32 dev lo|addr add 10.0.0.2/32 dev lo|addr add 10.0.0.3/32 dev lo|>']);
  });

  it('a batch that fails part-way undoes exactly the lines that ran, last first, then the steps before it', async () => {
    const runner = new FakeRunner();
    failAtLine(runner, 't-vm', 4);
    await assert.rejects(executePlan(runner, [steps[0]!, batch('t-vm', 5)]), (e: unknown) => {
      assert.ok(e instanceof LabError && e.code === 'ERR_LAB_SETUP');
      assert.match(e.message, /ip -n t-vm -batch - line 4 \(addr add 10\.0\.0\.4\/32 dev lo\) failed \(exit 1\): Error: ipv4: Address already assigned\./);
      return true;
    });
    // Lines 1-3 ran (line 1 has no undo); 4 failed; 5 never ran.
    assert.deepEqual(runner.log.slice(2), ['run ip -n t-vm -force -batch - <addr del 10.0.0.3/32 dev lo|addr del 10.0.0.2/32 dev lo|>', 'run ip netns del t-vm']);
  });

  it('a batch that failed on its first line undoes none of it', async () => {
    const runner = new FakeRunner();
    failAtLine(runner, 't-vm', 1);
    await assert.rejects(executePlan(runner, [steps[0]!, batch('t-vm', 5)]), /line 1 /);
    assert.deepEqual(runner.log.slice(2), ['run ip netns del t-vm']);
  });

  it('a parallel group: after a failure the running steps finish, no more start, and everything that ran is undone', async () => {
    const runner = new FakeRunner();
    failAtLine(runner, 't-vm2', 3);
    const group: LabStep = { kind: 'parallel', concurrency: 2, steps: ['t-vm1', 't-vm2', 't-vm3', 't-vm4', 't-vm5'].map((ns) => batch(ns, 3) as Extract<LabStep, { kind: 'batch' }>) };
    await assert.rejects(executePlan(runner, [group]), /t-vm2 -batch - line 3/);
    const started = runner.log.filter((l) => / -batch - </.test(l) && !l.includes('-force')).map((l) => l.split(' ')[3]!);
    assert.ok(started.includes('t-vm1') && started.includes('t-vm2'), runner.log.join('\n'));
    assert.equal(started.includes('t-vm5'), false, 'no step starts after the failure was seen');
    // Every batch that ran is undone in full, the failed one up to its failing line.
    const undone = runner.log.filter((l) => l.includes('-force'));
    for (const ns of started) {
      const expected = ns === 't-vm2' ? 'addr del 10.0.0.2/32 dev lo|>' : 'addr del 10.0.0.3/32 dev lo|addr del 10.0.0.2/32 dev lo|>';
      assert.ok(undone.includes(`run ip -n ${ns} -force -batch - <${expected}`), `${ns}: ${undone.join('\n')}`);
    }
    assert.equal(undone.length, started.length);
  });

  it('programs started together: one that exits at once stops the group, and the one that started is killed', async () => {
    const runner = new FakeRunner();
    const spawn = steps[3] as Extract<LabStep, { kind: 'spawn' }>;
    let n = 0;
    runner.spawnBackground = async (argv, logPath) => {
      const pid = runner.nextPid++;
      runner.log.push(`spawn ${pid} ${argv.join(' ')}`);
      // The first program starts and is ready; the second exits at once.
      if (n++ === 0) runner.alive.add(pid);
      runner.files.set(logPath, n === 1 ? 'imds-lab: serving on http://169.254.169.254:80\n' : 'boom\n');
      return pid;
    };
    const group: LabStep = { kind: 'parallel', concurrency: 2, steps: [spawn, { ...spawn, id: 'persona', argv: ['ip', 'netns', 'exec', 't-host', 'persona'], log: '/run/lab/t/persona.log' }] };
    await assert.rejects(executePlan(runner, [steps[0]!, group]), /persona exited before it was ready/);
    assert.ok(runner.log.includes('kill 100 SIGTERM'), runner.log.join('\n'));
    assert.equal(runner.log.at(-1), 'run ip netns del t-vm');
    assert.equal(runner.alive.size, 0);
  });

  it('a nft -f step feeds its file on stdin', async () => {
    const runner = new FakeRunner();
    await executePlan(runner, [{ kind: 'run', argv: ['ip', 'netns', 'exec', 't-host', 'nft', '-f', '-'], undo: null, input: 'add table ip t\n' }]);
    assert.deepEqual(runner.log, ['run ip netns exec t-host nft -f - <add table ip t|>']);
  });
});

describe('teardownLab', () => {
  it('derives everything from the name: kills namespace processes, deletes only this lab\'s namespaces', async () => {
    const runner = new FakeRunner();
    runner.alive.add(501);
    runner.alive.add(502);
    runner.alive.add(777);
    runner.cmdlines.set(777, 'tinyproxy\0-d\0');
    runner.files.set('/run/lab/t/lab.json', JSON.stringify({ version: 1, name: 't', processes: [{ id: 'responder', pid: 777, argv: ['serve'], log: '' }] }));
    runner.respond = (argv, input) => {
      const line = argv.join(' ');
      if (line === 'ip netns list') return { code: 0, stdout: 't-vm (id: 3)\nt2-vm (id: 4)\nt-host (id: 2)\nt-hostile\nother\n', stderr: '' };
      if (line === 'ip -force -batch -' && input === 'netns pids t-vm\nnetns pids t-host\n') return { code: 0, stdout: '501\n502\n', stderr: '' };
      return { code: 0, stdout: '', stderr: '' };
    };
    const report = await teardownLab(runner, 't', '/run/lab/t');
    assert.deepEqual(report.namespaces, ['t-vm', 't-host']);
    assert.deepEqual(report.killed, [501, 502]);
    assert.ok(runner.alive.has(777), 'a recorded PID whose command line does not match is left alone');
    assert.ok(runner.log.includes('run ip -force -batch - <netns del t-vm|netns del t-host|>'), runner.log.join('\n'));
    assert.equal(runner.log.some((l) => l.includes('t2-vm') || l.includes('t-hostile')), false);
    assert.ok(runner.log.includes('rm /run/lab/t'));
  });

  it('kills a recorded PID whose command line matches, even without namespaces', async () => {
    const runner = new FakeRunner();
    runner.alive.add(900);
    runner.cmdlines.set(900, 'node\0main.ts\0serve\0');
    runner.files.set('/run/lab/t/lab.json', JSON.stringify({ version: 1, name: 't', processes: [{ id: 'responder', pid: 900, argv: ['node', 'main.ts', 'serve'], log: '' }] }));
    runner.respond = () => ({ code: 0, stdout: '', stderr: '' });
    const report = await teardownLab(runner, 't', '/run/lab/t');
    assert.deepEqual(report.killed, [900]);
    assert.equal(report.hadState, true);
  });
});
