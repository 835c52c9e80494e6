// The recorder's orchestration with a stand-in lab (no namespaces): set-up retried once, the responder
// prepared before the command, the command wrapped in `timeout -s KILL`, proxy variables decided per case,
// request-log entries turned into report requests, the lab closed; a second set-up failure is recorded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoggedRequest } from '../control/request-log-buffer.ts';
import { checkCases } from './check-cases.ts';
import { recordCase, type CheckLab, type CheckLabOptions } from './record-case.ts';

function standIn(log: string[], startWallMs: () => number): CheckLab {
  return {
    vms: [{ ip: '10.1.0.4' }],
    state: { env: { HTTP_PROXY: 'http://192.168.254.2:8888' } },
    ctl: {
      addFault: async (f) => void log.push(`fault ${JSON.stringify(f)}`),
      setNetFaults: async (spec) => void log.push(`net ${spec}`),
      startTimeline: async (t) => void log.push(`timeline ${t.phases.length}`),
    },
    exec: async (argv, o) => {
      log.push(`exec ${argv.join(' ')} env=${JSON.stringify(o.env)} limit=${o.timeoutMs}`);
      return { code: 0, stderr: 'a\n\nlast line\n', ms: 42 };
    },
    requests: async () => {
      const entry = { seq: 1, time: new Date(startWallMs() + 250).toISOString(), vm: 'examplevmname', remoteAddress: '192.168.254.2', remotePort: 4000, method: 'GET', path: '/metadata/instance', query: [['api-version', '2021-02-01']], headers: { metadata: 'true', xForwardedFor: '10.1.0.4', userAgent: undefined }, status: 403, rule: 'x-forwarded-for', route: null, faultId: null, latencyMs: 1.4, responseBytes: 20, error: null };
      return [entry as unknown as LoggedRequest];
    },
    close: async () => void log.push('close'),
  };
}

describe('recordCase with a stand-in lab', () => {
  it('retries a failed set-up once, prepares, runs under timeout, maps the request log and closes', async () => {
    const log: string[] = [];
    const starts: CheckLabOptions[] = [];
    let before = 0;
    const proxyEnv = checkCases().find((c) => c.id === 'proxy-env')!;
    const gone = checkCases().find((c) => c.id === 'gone-410')!;
    const startLab = async (o: CheckLabOptions): Promise<CheckLab> => {
      starts.push(o);
      if (starts.length === 1) throw new Error('control relay: no answer within 20000 ms');
      before = Date.now();
      return standIn(log, () => before);
    };
    const r = await recordCase({ ...proxyEnv, setup: gone.setup }, ['app', '--x'], { startLab, env: { PATH: '/bin', HTTP_PROXY: 'http://corp:3128', no_proxy: '*' }, labName: 'ckt1' });
    assert.equal(starts.length, 2);
    assert.deepEqual(starts[1]!.env, { PATH: '/bin' }, 'the caller’s proxy variables are removed');
    assert.equal(starts[1]!.scenario, 'proxy-leak');
    assert.deepEqual(log, [
      'timeline 2',
      'exec timeout -s KILL 60s app --x env={"HTTPS_PROXY":"http://192.168.254.2:8888","https_proxy":"http://192.168.254.2:8888"} limit=70000',
      'close',
    ]);
    assert.equal(r.exit, 0);
    assert.equal(r.timedOut, false);
    assert.deepEqual(r.stderrTail, ['a', 'last line']);
    assert.equal(r.requests.length, 1);
    const q = r.requests[0]!;
    assert.ok(q.atMs >= 240 && q.atMs <= 260, `atMs ${q.atMs} is relative to the command start`);
    assert.deepEqual({ ...q, atMs: 0 }, { atMs: 0, method: 'GET', target: '/metadata/instance?api-version=2021-02-01', status: 403, rule: 'x-forwarded-for', latencyMs: 1, remoteAddress: '192.168.254.2', metadata: 'true', viaProxy: true });
    assert.equal(r.attemptsVisible, false, 'no capture file: attempts are not claimed visible');
  });

  it('a second set-up failure is recorded as the case error', async () => {
    let calls = 0;
    const r = await recordCase(checkCases()[0]!, ['app'], {
      startLab: async () => {
        calls++;
        throw new Error(`set-up failed ${calls}`);
      },
      env: {},
      labName: 'ckt2',
    });
    assert.equal(calls, 2);
    assert.equal(r.error, 'set-up failed 2');
    assert.equal(r.exit, null);
  });
});
