// serve argument parsing: --listen forms, overrides, faults, capture, and clear usage errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRequestLine } from './request-log-line.ts';
import { parseListen, parseServeArguments, serveCommand, UsageError } from './serve-command.ts';

describe('parseListen', () => {
  it('accepts HOST:PORT and [IPv6]:PORT', () => {
    assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 });
  });
  it('rejects malformed addresses with the expected form', () => {
    for (const bad of ['8080', '127.0.0.1', '127.0.0.1:', '127.0.0.1:70000', '::1:80', 'host:port']) {
      assert.throws(() => parseListen(bad), /--listen: expected HOST:PORT/, bad);
    }
  });
});

describe('parseServeArguments', () => {
  it('defaults: socket capture, no overrides, no faults', () => {
    const args = parseServeArguments(['--listen', '127.0.0.1:0']);
    assert.deepEqual(args.listen, { host: '127.0.0.1', port: 0 });
    assert.equal(args.profile, undefined);
    assert.equal(args.stateDir, undefined);
    assert.equal(args.rateLimit, undefined);
    assert.equal(args.serverHeader, undefined);
    assert.deepEqual(args.faults, []);
    assert.equal(args.capture, 'socket');
    assert.equal(args.logRequests, false);
    assert.equal(args.httpTimeouts, undefined);
  });
  it('every flag', () => {
    const args = parseServeArguments([
      '--listen', '127.0.0.1:9000', '--profile', 'vm.yaml', '--state-dir', '/tmp/s', '--no-rate-limit', '--server-header', 'X/1',
      '--fault', 'path=/a,status=500', '--fault', 'path=/b,delay=1s', '--capture', 'socket', '--log-requests',
    ]);
    assert.equal(args.profile, 'vm.yaml');
    assert.equal(args.stateDir, '/tmp/s');
    assert.equal(args.rateLimit, false);
    assert.equal(args.serverHeader, 'X/1');
    assert.deepEqual(args.faults, [{ path: '/a', status: 500 }, { path: '/b', delayMs: 1000 }]);
    assert.equal(args.capture, 'socket');
    assert.equal(args.logRequests, true);
    assert.equal(parseServeArguments(['--listen', '127.0.0.1:1', '--no-server-header']).serverHeader, null);
    assert.deepEqual(parseServeArguments(['--listen', '127.0.0.1:1', '--http-timeouts', 'headers=2000,keep-alive=500']).httpTimeouts, { headersMs: 2000, keepAliveMs: 500 });
    const vms = parseServeArguments(['--listen', '127.0.0.1:1', '--vm', 'vm0=/p/a.yaml', '--vm', 'vm1=/p/b.yaml', '--control', '--virtual-clock']);
    assert.deepEqual(vms.vms, [{ name: 'vm0', profile: '/p/a.yaml' }, { name: 'vm1', profile: '/p/b.yaml' }]);
    assert.equal(vms.controlSocket, '', '--control: the default socket under the state dir');
    assert.equal(vms.virtualClock, true);
    assert.equal(parseServeArguments(['--listen', '127.0.0.1:1', '--control-socket', '/tmp/c/c.sock']).controlSocket, '/tmp/c/c.sock');
    const tun = parseServeArguments([
      '--capture', 'tun', '--tun-name', 'imds7', '--mtu', '1400', '--pcap', '/tmp/t.pcap', '--net-fault', 'drop-syn=0.5,seed=3',
      '--source-policy', 'rst', '--primary-ip', '10.1.0.4', '--primary-ip', '192.168.254.2',
    ]);
    assert.deepEqual(tun.listen, { host: '169.254.169.254', port: 80 }, 'tun: --listen defaults to the served address');
    assert.equal(tun.capture, 'tun');
    assert.deepEqual({ ...tun.tun, netFaults: undefined }, {
      name: 'imds7', mtu: 1400, pcapPath: '/tmp/t.pcap', netFaults: undefined, sourcePolicy: 'rst', primaryIps: ['10.1.0.4', '192.168.254.2'],
    });
    assert.equal(tun.tun?.netFaults?.synDropProbability, 0.5);
  });
  it('usage errors name the problem', () => {
    assert.throws(() => parseServeArguments([]), /--listen HOST:PORT is required/);
    assert.throws(() => parseServeArguments(['--listen', '127.0.0.1:1', '--capture', 'pcap']), /--capture: expected socket or tun/);
    assert.throws(() => parseServeArguments(['--listen', '127.0.0.1:1', '--server-header', 'a', '--no-server-header']), /exclude each other/);
    assert.throws(() => parseServeArguments(['--listen', '127.0.0.1:1', '--bogus']), /bogus/);
    assert.throws(() => parseServeArguments(['--listen', '127.0.0.1:1', '--fault', 'status=500']), /path=… is required/);
    assert.throws(() => parseServeArguments(['--listen', '127.0.0.1:1', '--http-timeouts', 'headers=1s']), (e: unknown) => e instanceof UsageError && /--http-timeouts: expected NAME=MS/.test(e.message));
  });
});

describe('serveCommand', () => {
  it('help documents every flag', () => {
    const flags = [
      '--listen', '--profile', '--vm', '--state-dir', '--no-rate-limit', '--server-header', '--no-server-header', '--fault', '--capture',
      '--tun-name', '--mtu', '--pcap', '--net-fault', '--source-policy', '--primary-ip', '--log-requests', '--control', '--control-socket',
      '--virtual-clock', '--http-timeouts',
    ];
    for (const flag of flags) {
      // Each flag has its own option line (`  --flag …`), not just a mention in another flag's text.
      assert.match(serveCommand.help, new RegExp(`^  ${flag}\\b(?!-)`, 'm'), flag);
    }
  });
  it('formats a request-log line', () => {
    const line = formatRequestLine({
      time: '2026-01-01T00:00:00.000Z', vm: 'vm', remoteAddress: '10.1.0.4', remotePort: 5, method: 'GET', path: '/metadata/instance',
      query: [['api-version', '2021-02-01']], headers: { metadata: 'true', xForwardedFor: undefined, userAgent: undefined },
      status: 200, rule: 'handler', route: 'instance', faultId: null, latencyMs: 1.25, responseBytes: 10, error: null,
    });
    assert.equal(line, '2026-01-01T00:00:00.000Z 10.1.0.4 200 handler GET /metadata/instance?api-version=2021-02-01 1.3ms');
  });
});
