// ipRunnerOver: `ip` goes through the lab runner as an argv array; a non-zero exit becomes ERR_IP_COMMAND with stderr.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandResult, LabRunner } from '../process/lab-runner.ts';
import { ipRunnerOver } from './ip-runner.ts';

function fakeRunner(result: CommandResult, calls: (readonly string[])[]): LabRunner {
  return {
    run: (argv) => {
      calls.push(argv);
      return Promise.resolve(result);
    },
  } as Partial<LabRunner> as LabRunner;
}

test('runs ip with the argv array and resolves on exit 0', async () => {
  const calls: (readonly string[])[] = [];
  await ipRunnerOver(fakeRunner({ code: 0, stdout: '', stderr: '' }, calls))(['route', 'add', '169.254.169.254/32', 'dev', 'imds0']);
  assert.deepEqual(calls, [['ip', 'route', 'add', '169.254.169.254/32', 'dev', 'imds0']]);
});

test("a non-zero exit rejects with ERR_IP_COMMAND naming the command and ip's stderr", async () => {
  const run = ipRunnerOver(fakeRunner({ code: 2, stdout: '', stderr: 'RTNETLINK answers: File exists\n' }, []));
  await assert.rejects(run(['route', 'add', '169.254.169.254/32', 'dev', 'imds0']), {
    code: 'ERR_IP_COMMAND',
    message: 'ip route add 169.254.169.254/32 dev imds0: RTNETLINK answers: File exists',
  });
  await assert.rejects(ipRunnerOver(fakeRunner({ code: -1, stdout: '', stderr: '' }, []))(['link']), { message: 'ip link: exit -1' });
});
