// Control-plane test harness: an in-process daemon in socket mode on 127.0.0.1 with its control socket
// (optionally on a virtual clock), a connected ControlClient, and a small HTTP client for assertions.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/control-client.ts';
import { startDaemon, type DaemonHandle } from '../../src/daemon/start-daemon.ts';
import { FakeClock } from '../../src/util/clock.ts';
import type { VmProfile } from '../../src/config/vm-profile.ts';
import { httpRequest, type HttpReply, type HttpRequestOptions } from './http-client.ts';

export interface ControlHarness {
  readonly daemon: DaemonHandle;
  readonly client: ControlClient;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly clock: FakeClock | undefined;
  get(path: string, options?: HttpRequestOptions): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export type HttpAnswer = HttpReply;

/** One request on a fresh connection (no keep-alive), Metadata: true unless overridden. */
export function request(base: { host: string; port: number }, path: string, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  return httpRequest({ host: base.host, port: base.port, path }, { ...options, headers: { Metadata: 'true', ...options.headers } });
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
