// Runs the app once for a case in a fresh lab and records what it did: the responder is prepared (faults,
// timeline), the command runs in the VM under `timeout -s KILL` (its whole process group dies at the limit),
// then the request log and the capture's SYNs are collected and the lab is removed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { FaultInput, TimelineInput } from '../control/control-client.ts';
import type { LoggedRequest } from '../control/request-log-buffer.ts';
import type { CheckCase } from './check-cases.ts';
import type { ReportRequest } from './check-report.ts';
import { tailLines, type CaseRecording } from './case-recording.ts';
import { NO_SYNS, synsFromCapture } from './wire-evidence.ts';

/** The part of a library-mode Lab (src/lib.ts startLab) the recorder uses. */
export interface CheckLab {
  readonly vms: readonly { readonly ip: string }[];
  readonly state: { readonly env: Readonly<Record<string, string>> };
  readonly ctl: {
    addFault(fault: FaultInput): Promise<unknown>;
    setNetFaults(spec: string): Promise<unknown>;
    startTimeline(timeline: TimelineInput): Promise<unknown>;
  };
  exec(argv: readonly string[], options: { env?: Readonly<Record<string, string>>; timeoutMs?: number }): Promise<{ code: number; stderr: string; ms: number }>;
  requests(): Promise<LoggedRequest[]>;
  close(): Promise<void>;
}

export interface CheckLabOptions {
  readonly name: string;
  readonly scenario: string;
  readonly fixed: boolean;
  readonly capture: 'tun';
  readonly pcap: string;
  readonly env: NodeJS.ProcessEnv;
  readonly profile?: string;
}

/** startLab of src/lib.ts (passed in, so src/check does not import the package entry that exports it). */
export type LabStarter = (options: CheckLabOptions) => Promise<CheckLab>;

export interface RecordOptions {
  readonly startLab: LabStarter;
  /** The caller's environment (proxy variables are removed: each case decides them). */
  readonly env: NodeJS.ProcessEnv;
  readonly profile?: string;
  /** Keep the caller's proxy variables (run --report); check removes them so each case decides. */
  readonly keepCallerProxies?: boolean;
  /** Overrides every case's command time limit. */
  readonly timeoutMs?: number;
  /** Lab name (1-15 of [a-z0-9-]). */
  readonly labName: string;
  /** Aborting removes the lab at once (which ends the command) and records the case as not run. */
  readonly signal?: AbortSignal;
}

/** libpcap's block timeout as tcpdump sets it (1000 ms), plus a margin. */
const CAPTURE_BLOCK_MS = 1100;

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'];

/** The caller's environment without proxy variables. */
export function withoutProxies(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of PROXY_VARIABLES) delete out[k];
  return out;
}

function toReportRequest(entry: LoggedRequest, startWallMs: number, vmIp: string): ReportRequest {
  const query = entry.query.map(([k, v]) => `${k}=${v}`).join('&');
  return {
    atMs: Date.parse(entry.time) - startWallMs,
    method: entry.method,
    target: query === '' ? entry.path : `${entry.path}?${query}`,
    status: entry.status,
    rule: entry.rule,
    latencyMs: Math.round(entry.latencyMs),
    remoteAddress: entry.remoteAddress,
    metadata: entry.headers.metadata,
    viaProxy: entry.remoteAddress !== vmIp || entry.headers.xForwardedFor !== undefined,
  };
}

async function prepare(lab: CheckLab, c: CheckCase): Promise<void> {
  for (const step of c.setup) {
    if (step.kind === 'http-fault') await lab.ctl.addFault(step.fault);
    else if (step.kind === 'net-fault') await lab.ctl.setNetFaults(step.spec);
    else await lab.ctl.startTimeline(step.timeline);
  }
}

export async function recordCase(c: CheckCase, argv: readonly string[], o: RecordOptions): Promise<CaseRecording> {
  const dir = await mkdtemp(join(tmpdir(), 'imds-check-'));
  const pcap = join(dir, 'capture.pcap');
  const failed = (error: unknown): CaseRecording => ({
    caseId: c.id,
    exit: null,
    timedOut: false,
    durationMs: 0,
    stderrTail: [],
    requests: [],
    syns: NO_SYNS,
    attemptsVisible: false,
    error: (error as Error).message,
  });
  let startWallMs = 0;
  try {
    if (o.signal?.aborted) return failed(new Error('check was interrupted'));
    let lab: CheckLab;
    const labOptions: CheckLabOptions = { name: o.labName, scenario: c.scenario, fixed: c.fixed, capture: 'tun', pcap, env: o.keepCallerProxies ? o.env : withoutProxies(o.env), ...(o.profile !== undefined ? { profile: o.profile } : {}) };
    try {
      // One retry: on a busy machine a lab's set-up (its responder and control relay) can miss its deadline.
      lab = await o.startLab(labOptions).catch((error: unknown) => {
        if (o.signal?.aborted) throw error;
        return o.startLab(labOptions);
      });
    } catch (error) {
      return failed(error);
    }
    let ran: Omit<CaseRecording, 'syns'>;
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => (closing ??= lab.close());
    const abort = (): void => void close().catch(() => {});
    o.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (o.signal?.aborted) throw new Error('check was interrupted');
      await prepare(lab, c);
      const extra: Record<string, string> = {};
      const proxy = lab.state.env.HTTP_PROXY ?? lab.state.env.http_proxy;
      if (c.proxyEverywhere && proxy !== undefined) Object.assign(extra, { HTTPS_PROXY: proxy, https_proxy: proxy });
      const limitMs = o.timeoutMs ?? c.timeoutMs;
      startWallMs = Date.now();
      // GNU timeout puts the command in its own process group and kills the whole group at the limit.
      const run = await lab.exec(['timeout', '-s', 'KILL', `${limitMs / 1000}s`, ...argv], { env: extra, timeoutMs: limitMs + 10_000 });
      // tcpdump (no --immediate-mode) receives packets in ring blocks the kernel hands over after at most 1 s;
      // a block still open when tcpdump stops is lost, so give the last packets that second.
      await delay(CAPTURE_BLOCK_MS);
      const vmIp = lab.vms[0]!.ip;
      const requests = (await lab.requests()).map((e) => toReportRequest(e, startWallMs, vmIp));
      ran = {
        caseId: c.id,
        exit: run.code,
        timedOut: run.code === 137 && run.ms >= limitMs - 100,
        durationMs: run.ms,
        stderrTail: tailLines(run.stderr),
        requests,
        attemptsVisible: c.scenario !== 'no-route',
      };
    } catch (error) {
      return failed(error);
    } finally {
      o.signal?.removeEventListener('abort', abort);
      await close();
    }
    if (o.signal?.aborted) return failed(new Error('check was interrupted'));
    // Read the capture after the lab is gone (tcpdump has written everything it received).
    const syns = await synsFromCapture(pcap, startWallMs).catch(() => null);
    return syns === null ? { ...ran, syns: NO_SYNS, attemptsVisible: false } : { ...ran, syns };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
