// Control-plane test harness: an in-process daemon in socket mode on 127.0.0.1 with its control socket
// (optionally on a virtual clock), a connected ControlClient, and a small HTTP client for assertions.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/control-client.ts';
import { startDaemon, type DaemonHandle } from '../../src/daemon.ts';
import { FakeClock } from '../../src/util/clock.ts';
import type { VmProfile } from '../../src/config/vm-profile.ts';

export interface ControlHarness {
  readonly daemon: DaemonHandle;
  readonly client: ControlClient;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly clock: FakeClock | undefined;
  get(path: string, options?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** One request on a fresh connection (no keep-alive), Metadata: true unless overridden. */
export function request(base: { host: string; port: number }, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.host, port: base.port, path, method: options.method ?? 'GET', agent: false, headers: { Metadata: 'true', ...options.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function startControlHarness(options: { virtualClock?: boolean; profile?: VmProfile; stateDir?: string } = {}): Promise<ControlHarness> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'imds-control-')));
  const clock = options.virtualClock ? new FakeClock({ now: 0, wallTime: Date.UTC(2026, 3, 11, 22, 0, 0) }) : undefined;
  const socketPath = join(stateDir, 'control', 'control.sock');
  const daemon = await startDaemon({
    capture: 'socket',
    listen: { host: '127.0.0.1', port: 0 },
    stateDir,
    rateLimit: false,
    control: { socketPath },
    ...(clock ? { clock } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  });
  let client: ControlClient;
  try {
    client = await ControlClient.connect(socketPath);
  } catch (error) {
    await daemon.close();
    throw error;
  }
  return {
    daemon,
    client,
    socketPath,
    stateDir,
    clock,
    get: (path, o) => request(daemon.address, path, o),
    close: async () => {
      await client.close();
      await daemon.close();
      if (options.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
