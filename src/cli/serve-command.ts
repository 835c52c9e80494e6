// `imds-lab serve`: runs the IMDS emulator on a socket or a TUN capture until SIGINT/SIGTERM.
import type { HttpFault } from '../config/vm-profile.ts';
import { startDaemon } from '../daemon/start-daemon.ts';
import { CAPTURE_MODES, type CaptureMode } from '../util/capture-mode.ts';
import { parseFaultSpec } from '../http/fault-spec.ts';
import { parseHttpTimeoutsSpec, type HttpTimeouts } from '../http/http-timeouts.ts';
import { subscribeRequests } from '../http/request-log.ts';
import { formatRequestLine } from './request-log-line.ts';
import { ImdsLabError } from '../util/errors.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { parseFlags } from './cli-options.ts';
import { join, resolve } from 'node:path';
import { FakeClock } from '../util/clock.ts';
import { resolveStateDir } from './state-dir.ts';
import { assertTunPrivileges, explainListenError } from './serve-errors.ts';
import { DEFAULT_TUN_MTU, DEFAULT_TUN_NAME, type TunSettings } from '../daemon/tun-capture.ts';
import { assertNotRootNamespace } from '../capture/namespace-guard.ts';
import { parseNetFaults } from '../stack/net-faults.ts';
import { SOURCE_REACTIONS, type SourceReaction } from '../stack/source-policy.ts';
import { IMDS_ADDRESS, isIpv4Address } from '../util/ipv4-address.ts';

export class UsageError extends ImdsLabError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

/** A flag value the parsers below refuse is a usage error (exit 2), whatever error class they throw. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ImdsLabError && !(error instanceof UsageError)) throw new UsageError(error.message);
    throw error;
  }
}

/** Control plane (src/control): marker for "<state-dir>/control/control.sock", resolved once the state dir is known. */
const CONTROL_SOCKET_DEFAULT = '';

function virtualClockFlag(flag: boolean | undefined, control: boolean): boolean {
  if (flag && !control) throw new UsageError('--virtual-clock needs --control or --control-socket (the clock moves only through ctl clock advance)');
  return flag ?? false;
}

const HELP = `Usage: imds-lab serve --listen HOST:PORT [options]

Serves the Azure Instance Metadata Service emulator over HTTP until SIGINT or SIGTERM.
When ready it prints  imds-lab: serving on http://HOST:PORT (capture socket, profile …)
(preceded by  imds-lab: control socket PATH  with --control).

Options:
  --listen HOST:PORT       Address to listen on (required). IPv6 as [::1]:8080. Port 0 picks a free
                           port; the ready line shows the real one.
  --profile FILE           VM profile (JSON or YAML; see docs/profile.md). Default: the embedded example VM.
  --vm NAME=FILE           Serve several VMs (repeat the flag; excludes --profile): each is answered by its
                           profile's primary IP, with its own identity, faults, events and rate limits;
                           NAME addresses it in ctl --vm and tags its request-log entries. Other answered
                           sources (e.g. --primary-ip) go to the first VM.
  --state-dir DIR          Where the emulator PKI lives (created on first use).
                           Default: $IMDS_LAB_STATE_DIR, else $XDG_STATE_HOME/imds-lab, else
                           ~/.local/state/imds-lab.
  --no-rate-limit          Turn off the per-VM rate limits (5 req/s; identity 20 req/s and 5 concurrent).
  --http-timeouts SPEC     Connection limits in ms, in both capture modes; SPEC is comma-separated NAME=MS:
                           headers=10000 (request head, else 408), request=30000 (whole request, else 408),
                           keep-alive=5000 (idle between requests, +1 s), check=1000 (how often checked).
  --ca-issuers-uri URI     CA Issuers URI in the attested-data leaf (default an .invalid one; labs use a
                           name their resolver knows and serve the issuing CA there).
  --server-header TEXT     Send "Server: TEXT" on every response (default: the profile's service.serverHeader).
  --no-server-header       Send no Server header.
  --fault SPEC             Inject an HTTP fault; repeat for several. SPEC is comma-separated key=value:
                             path=P          path prefix, or a glob where * matches anything (required)
                             status=N        answer N (404, 410, 429, 500 or 503) with the route's error body
                             delay=D         wait D first (milliseconds, or 250ms / 2s)
                             count=N         only the next N matching requests
                             probability=X   apply with probability X (0..1) ...
                             seed=N          ... drawn from a generator seeded with N (reproducible)
                           e.g. --fault path=/metadata/identity/*,status=410,count=3
                                --fault path=/metadata/instance,delay=2s,probability=0.5,seed=7
  --capture socket|tun     How requests arrive: socket (node:net listener, default) or tun: a TUN device
                           with the route ${IMDS_ADDRESS}/32 into it and the userspace TCP stack. tun
                           refuses to run in the root network namespace (it would hijack the host's real
                           metadata route): run it in a lab namespace (ip netns exec NS imds-lab serve ...).
                           With tun, --listen defaults to ${IMDS_ADDRESS}:80 (the served address).
  --tun-name NAME          TUN interface name (default ${DEFAULT_TUN_NAME}).
  --mtu N                  TUN MTU (default ${DEFAULT_TUN_MTU}).
  --pcap FILE              Write every packet through the TUN to FILE (pcap, LINKTYPE_RAW).
  --net-fault SPEC         TUN only: network faults, comma-separated: drop-syn[=P], rst, icmp-net,
                           icmp-host, icmp-admin, delay-synack=MS[~JITTER], delay-first-byte=MS[~JITTER],
                           stall, loss=P, loss-in=P, loss-out=P, seed=N (e.g. --net-fault drop-syn=0.3,seed=7).
  --source-policy drop|rst|icmp
                           TUN only: the reaction to sources other than the VM's primary IP
                           (default: the profile's sourcePolicy; Azure drops silently).
  --primary-ip IP          TUN only: answer this source (repeatable); default the profile's primary IP.
  --log-requests           Print one line per request to stderr (status, rule, method, path, latency).
  --control                Open the control socket at <state-dir>/control/control.sock (imds-lab ctl; docs/control.md).
  --control-socket PATH    Open the control socket at PATH (implies --control; created 0600 in a 0700 directory).
  --virtual-clock          Run on a virtual clock that only moves with "imds-lab ctl clock advance" (needs --control).
  -h, --help               Show this help.

Request rules, error bodies and the request-log channel: docs/serve.md.`;

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses HOST:PORT or [IPV6]:PORT. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen: expected HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), got ${JSON.stringify(text)}`);
  return { host: (m[1] ?? m[2])!, port };
}

export interface ServeArguments {
  readonly listen: ListenAddress;
  readonly profile: string | undefined;
  /** --vm NAME=FILE (several VMs); empty for one VM. */
  readonly vms: readonly { readonly name: string; readonly profile: string }[];
  readonly stateDir: string | undefined;
  readonly rateLimit: boolean | undefined;
  /** --http-timeouts overrides (undefined: the defaults). */
  readonly httpTimeouts?: Partial<HttpTimeouts> | undefined;
  /** --ca-issuers-uri: the leaf's AIA CA Issuers URI (undefined: the default). */
  readonly caIssuersUri?: string | undefined;
  readonly serverHeader: string | null | undefined;
  readonly faults: readonly HttpFault[];
  readonly capture: CaptureMode;
  readonly logRequests: boolean;
  /** Control socket path ('' = <state-dir>/control/control.sock; undefined: no control plane). */
  readonly controlSocket: string | undefined;
  readonly virtualClock: boolean;
  /** Capture 'tun' settings (undefined in socket mode). */
  readonly tun: TunSettings | undefined;
}

export function parseServeArguments(argv: readonly string[]): ServeArguments {
  const values = parseFlags(
    argv,
    {
        listen: { type: 'string' },
        profile: { type: 'string' },
        vm: { type: 'string', multiple: true },
        'state-dir': { type: 'string' },
        'no-rate-limit': { type: 'boolean' },
        'http-timeouts': { type: 'string' },
        'ca-issuers-uri': { type: 'string' },
        'server-header': { type: 'string' },
        'no-server-header': { type: 'boolean' },
        fault: { type: 'string', multiple: true },
        capture: { type: 'string' },
        'log-requests': { type: 'boolean' },
        control: { type: 'boolean' },
        'control-socket': { type: 'string' },
        'virtual-clock': { type: 'boolean' },
        'tun-name': { type: 'string' },
        mtu: { type: 'string' },
        pcap: { type: 'string' },
        'net-fault': { type: 'string', multiple: true },
        'source-policy': { type: 'string' },
        'primary-ip': { type: 'string', multiple: true },
    },
    (message) => new UsageError(message),
  );
  if (values.listen === undefined && values.capture !== 'tun') throw new UsageError('--listen HOST:PORT is required (e.g. --listen 127.0.0.1:8080)');
  if (values['server-header'] !== undefined && values['no-server-header']) {
    throw new UsageError('--server-header and --no-server-header exclude each other');
  }
  const vms = (values.vm ?? []).map(parseVmFlag);
  if (vms.length > 0 && values.profile !== undefined) throw new UsageError('--vm and --profile exclude each other (give each VM its profile: --vm NAME=FILE)');
  if (new Set(vms.map((v) => v.name)).size !== vms.length) throw new UsageError('--vm: VM names must be unique');
  const capture = values.capture ?? 'socket';
  if (!(CAPTURE_MODES as readonly string[]).includes(capture)) throw new UsageError(`--capture: expected socket or tun, got ${JSON.stringify(capture)}`);
  const tun = capture === 'tun' ? parseTunSettings(values) : undefined;
  if (tun === undefined) {
    for (const flag of ['tun-name', 'mtu', 'pcap', 'net-fault', 'source-policy', 'primary-ip'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --capture tun`);
    }
  }
  return {
    listen: parseListen(values.listen ?? `${IMDS_ADDRESS}:80`),
    profile: values.profile,
    vms,
    stateDir: values['state-dir'],
    rateLimit: values['no-rate-limit'] ? false : undefined,
    httpTimeouts: values['http-timeouts'] === undefined ? undefined : asUsage(() => parseHttpTimeoutsSpec(values['http-timeouts']!)),
    caIssuersUri: values['ca-issuers-uri'],
    serverHeader: values['no-server-header'] ? null : values['server-header'],
    faults: asUsage(() => (values.fault ?? []).map(parseFaultSpec)),
    capture: capture as CaptureMode,
    logRequests: values['log-requests'] ?? false,
    controlSocket: values['control-socket'] !== undefined ? resolve(values['control-socket']) : values.control ? CONTROL_SOCKET_DEFAULT : undefined,
    virtualClock: virtualClockFlag(values['virtual-clock'], values.control === true || values['control-socket'] !== undefined),
    tun,
  };
}

/** --vm NAME=FILE */
export function parseVmFlag(text: string): { name: string; profile: string } {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  const file = eq < 0 ? '' : text.slice(eq + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name) || file === '') {
    throw new UsageError(`--vm: expected NAME=FILE (NAME: letters, digits, _ . -), got ${JSON.stringify(text)}`);
  }
  return { name, profile: resolve(file) };
}

function parseTunSettings(values: {
  'tun-name'?: string;
  mtu?: string;
  pcap?: string;
  'net-fault'?: string[];
  'source-policy'?: string;
  'primary-ip'?: string[];
}): TunSettings {
  const mtu = values.mtu === undefined ? undefined : Number(values.mtu);
  if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 576 && mtu <= 65535)) {
    throw new UsageError(`--mtu: expected an integer in 576..65535, got ${JSON.stringify(values.mtu)}`);
  }
  const name = values['tun-name'];
  if (name !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
    throw new UsageError(`--tun-name: 1-15 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(name)}`);
  }
  const policy = values['source-policy'];
  if (policy !== undefined && !(SOURCE_REACTIONS as readonly string[]).includes(policy)) {
    throw new UsageError(`--source-policy: expected drop, rst or icmp, got ${JSON.stringify(policy)}`);
  }
  for (const ip of values['primary-ip'] ?? []) {
    if (!isIpv4Address(ip)) throw new UsageError(`--primary-ip: not an IPv4 address: ${JSON.stringify(ip)}`);
  }
  return {
    ...(name !== undefined ? { name } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
    ...(values.pcap !== undefined ? { pcapPath: resolve(values.pcap) } : {}),
    ...(values['net-fault'] ? { netFaults: asUsage(() => parseNetFaults(values['net-fault']!.join(','), '--net-fault')) } : {}),
    ...(policy !== undefined ? { sourcePolicy: policy as SourceReaction } : {}),
    ...(values['primary-ip'] ? { primaryIps: values['primary-ip'] } : {}),
  };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseServeArguments(argv);
  // Hard safety rule: refuse the root network namespace before anything is created or loaded.
  if (args.capture === 'tun') {
    assertTunPrivileges();
    assertNotRootNamespace();
  }
  const stateDir = resolveStateDir(args.stateDir, io.env);
  const controlSocket = args.controlSocket === CONTROL_SOCKET_DEFAULT ? join(stateDir, 'control', 'control.sock') : args.controlSocket;
  const handle = await startDaemon({
    ...(controlSocket !== undefined ? { control: { socketPath: controlSocket } } : {}),
    ...(args.virtualClock ? { clock: new FakeClock({ now: 0, wallTime: Date.now() }) } : {}),
    capture: args.capture,
    listen: args.listen,
    stateDir,
    faults: args.faults,
    ...(args.profile !== undefined ? { profile: args.profile } : {}),
    ...(args.vms.length > 0 ? { vms: args.vms } : {}),
    ...(args.rateLimit !== undefined ? { rateLimit: args.rateLimit } : {}),
    ...(args.httpTimeouts !== undefined ? { httpTimeouts: args.httpTimeouts } : {}),
    ...(args.caIssuersUri !== undefined ? { caIssuersUri: args.caIssuersUri } : {}),
    ...(args.serverHeader !== undefined ? { serverHeader: args.serverHeader } : {}),
    ...(args.tun !== undefined ? { tun: args.tun } : {}),
    onUnexpectedError: (error) => io.stderr.write(`imds-lab serve: handler error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
    onFatalError: (error) => {
      io.stderr.write(`imds-lab: ${error.message}\n`);
      process.exitCode = 1;
    },
  }).catch((error: unknown) => {
    throw explainListenError(error, args.listen);
  });
  const unsubscribe = args.logRequests
    ? subscribeRequests((e) => io.stderr.write(`${formatRequestLine(e)}\n`))
    : () => {};
  if (handle.control) io.stdout.write(`imds-lab: control socket ${handle.control.socketPath}${args.virtualClock ? ' (virtual clock)' : ''}\n`);
  io.stdout.write(`imds-lab: serving on ${handle.address.url} (capture ${handle.capture}, ${handle.vms.length > 1 ? `VMs ${handle.vms.map((v) => v.name).join(', ')}` : `profile ${handle.profileSource}`})\n`);
  const signal = await waitForSignal();
  unsubscribe();
  await handle.close();
  io.stderr.write(`imds-lab: ${signal}: stopped\n`);
  return 0;
}

export const serveCommand: CliCommand = {
  name: 'serve',
  help: HELP,
  run,
};
