// `imds-lab ctl …`: changes a running daemon through its control socket (docs/control.md): HTTP and network
// faults, timelines, the virtual clock, scheduled events, profile changes and the request log.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseProfileText } from '../config/load-profile.ts';
import { ControlClient } from '../control/control-client.ts';
import { ControlError, CONTROL_ERROR_CODES } from '../control/control-error.ts';
import type { OperationName } from '../control/control-operations.ts';
import { parsePhaseShorthand } from '../control/timeline-spec.ts';
import { parseFaultSpec } from '../http/fault-spec.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { parseFlagsAndWords } from './cli-options.ts';
import { resolveStateDir } from './state-dir.ts';
import { relayControlSocket } from '../control/control-relay.ts';
import { execInNamespace } from '../lab/vm-exec.ts';
import { readRunningLab, requireRoot, selfCommand } from '../lab/lab-setup.ts';
import { parseName } from './lab-cli-support.ts';

const HELP = `Usage: imds-lab ctl [--lab NAME | --socket PATH | --state-dir DIR] [--vm NAME] COMMAND …

Talks to a running daemon (imds-lab serve --control …) over its control socket. Prints JSON results
(the request log as JSON lines). The socket: --lab NAME (the lab's responder; ctl then runs itself in
<NAME>-host, the only namespace the control plane answers), else --socket, else $IMDS_LAB_CONTROL_SOCKET,
else <state-dir>/control/control.sock. Without --lab, run ctl in the daemon's network namespace yourself.
--vm picks the VM of a scale set (vm0, vm1, …; default: the only VM).
--stdio relays the control protocol between the socket and stdin/stdout (library mode; no COMMAND).

Commands:
  ping | vms
  fault add SPEC                     e.g. path=/metadata/identity/*,status=410,count=3 (same syntax as serve --fault)
  fault list | fault remove ID | fault clear
  net set SPEC|PERSONA               tun capture: black-hole, refuse, icmp, lossy, stall, or drop-syn=P,loss=P,seed=N…
  net show | net clear
  timeline start PHASE…              PHASE = KIND[:DURATION], KIND = refuse | ok | 404|410|429|500|503 | delay=D | net=SPEC
                                     e.g. timeline start refuse:5s 410:70s 404:10s ok   [--path P] [--loop] [--replace] [--name N]
  timeline start --file FILE         a JSON/YAML timeline {name, phases:[{duration, status|http|net|refuse}], loop}
  timeline status | timeline stop
  clock show | clock advance DURATION   (virtual clock: serve --virtual-clock)
  events list | events acks
  events add TYPE [--in DURATION | --not-before DATE] [--resource NAME]… [--id GUID] [--description TEXT]
                  [--duration-seconds N] [--source Platform|User] [--started]      TYPE: Reboot Redeploy Freeze Preempt Terminate
  events advance ID | events remove ID
  profile show | profile set FILE
  tags set NAME=VALUE…               (tags and tagsList together; no arguments clears them)
  user-data set TEXT [--base64]      (text is base64-encoded for you unless --base64)
  identity add system CLIENT_ID OBJECT_ID | identity add user CLIENT_ID OBJECT_ID RESOURCE_ID
  identity remove system | identity remove client-id|object-id|resource-id VALUE
  lb set FILE | lb none
  log [--follow] [--since SEQ] [--path P] [--status N] [--rule R] [--limit N]`;

const OPTIONS = {
  lab: { type: 'string' },
  stdio: { type: 'boolean' },
  socket: { type: 'string' },
  'state-dir': { type: 'string' },
  vm: { type: 'string' },
  file: { type: 'string' },
  path: { type: 'string' },
  loop: { type: 'boolean' },
  replace: { type: 'boolean' },
  name: { type: 'string' },
  in: { type: 'string' },
  'not-before': { type: 'string' },
  resource: { type: 'string', multiple: true },
  id: { type: 'string' },
  description: { type: 'string' },
  'duration-seconds': { type: 'string' },
  source: { type: 'string' },
  started: { type: 'boolean' },
  base64: { type: 'boolean' },
  follow: { type: 'boolean' },
  since: { type: 'string' },
  status: { type: 'string' },
  rule: { type: 'string' },
  limit: { type: 'string' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : string };

function usage(message: string): ControlError {
  return new ControlError('ERR_USAGE', `${message} (imds-lab ctl --help)`);
}

function integerFlag(values: Values, key: 'since' | 'status' | 'limit' | 'duration-seconds'): number | undefined {
  const text = values[key];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) throw usage(`--${key}: expected an integer, got ${JSON.stringify(text)}`);
  return n;
}

async function readDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parseProfileText(text, { source: file });
}

export function controlSocketPath(values: Pick<Values, 'socket' | 'state-dir'>, env: NodeJS.ProcessEnv): string {
  return values.socket ?? env['IMDS_LAB_CONTROL_SOCKET'] ?? join(resolveStateDir(values['state-dir'], env), 'control', 'control.sock');
}

/** Maps `ctl` words and flags to one control request: [op, params] (ops: the table in control-operations.ts). */
export async function toRequest(words: readonly string[], values: Values): Promise<[OperationName, Record<string, unknown>]> {
  const [group, action, ...rest] = words;
  const arg = (i: number, what: string): string => {
    const value = rest[i];
    if (value === undefined) throw usage(`${group} ${action}: missing ${what}`);
    return value;
  };
  const key = `${group ?? ''} ${action ?? ''}`.trim();
  switch (key) {
    case 'ping':
      return ['ping', {}];
    case 'vms':
      return ['vm.list', {}];
    case 'fault add':
      return ['fault.add', { fault: parseFaultSpec(arg(0, 'SPEC')) }];
    case 'fault list':
      return ['fault.list', {}];
    case 'fault remove':
      return ['fault.remove', { faultId: Number(arg(0, 'ID')) }];
    case 'fault clear':
      return ['fault.clear', {}];
    case 'net set':
      return ['net.set', { faults: arg(0, 'SPEC or persona') }];
    case 'net show':
      return ['net.get', {}];
    case 'net clear':
      return ['net.clear', {}];
    case 'timeline start': {
      const timeline = values.file !== undefined
        ? await readDocument(values.file)
        : { ...(values.name !== undefined ? { name: values.name } : {}), ...(values.loop ? { loop: true } : {}), phases: rest.map((p) => parsePhaseShorthand(p, values.path ?? '/')) };
      if (values.file === undefined && rest.length === 0) throw usage('timeline start: give phases (e.g. refuse:5s 410:70s 404:10s ok) or --file FILE');
      return ['timeline.start', { timeline, ...(values.replace ? { replace: true } : {}) }];
    }
    case 'timeline status':
      return ['timeline.status', {}];
    case 'timeline stop':
      return ['timeline.stop', {}];
    case 'clock show':
      return ['clock.get', {}];
    case 'clock advance':
      return ['clock.advance', { by: /^\d+(\.\d+)?$/.test(arg(0, 'DURATION')) ? Number(arg(0, 'DURATION')) : arg(0, 'DURATION') }];
    case 'events list':
      return ['events.list', {}];
    case 'events acks':
      return ['events.acks', {}];
    case 'events add': {
      const duration = integerFlag(values, 'duration-seconds');
      const event: Record<string, unknown> = { eventType: arg(0, 'TYPE (Reboot, Redeploy, Freeze, Preempt, Terminate)') };
      if (values.in !== undefined) event.notBeforeIn = values.in;
      if (values['not-before'] !== undefined) event.notBefore = values['not-before'];
      if (values.resource) event.resources = values.resource;
      if (values.id !== undefined) event.eventId = values.id;
      if (values.description !== undefined) event.description = values.description;
      if (duration !== undefined) event.durationInSeconds = duration;
      if (values.source !== undefined) event.eventSource = values.source;
      if (values.started) Object.assign(event, { eventStatus: 'Started', notBefore: '' });
      return ['events.add', { event }];
    }
    case 'events advance':
      return ['events.advance', { eventId: arg(0, 'ID') }];
    case 'events remove':
      return ['events.remove', { eventId: arg(0, 'ID') }];
    case 'profile show':
      return ['profile.get', {}];
    case 'profile set':
      return ['profile.set', { profile: await readDocument(arg(0, 'FILE')) }];
    case 'tags set':
      return ['tags.set', { tags: rest.map((pair, i) => {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw usage(`tags set: argument ${i + 1}: expected NAME=VALUE, got ${JSON.stringify(pair)}`);
        return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
      }) }];
    case 'user-data set':
      return ['userdata.set', { userData: arg(0, 'TEXT'), encoding: values.base64 ? 'base64' : 'text' }];
    case 'identity add': {
      const type = arg(0, 'system or user');
      if (type === 'system') return ['identity.add', { identity: { type, clientId: arg(1, 'CLIENT_ID'), objectId: arg(2, 'OBJECT_ID') } }];
      if (type === 'user') return ['identity.add', { identity: { type, clientId: arg(1, 'CLIENT_ID'), objectId: arg(2, 'OBJECT_ID'), resourceId: arg(3, 'RESOURCE_ID') } }];
      throw usage(`identity add: expected system or user, got ${JSON.stringify(type)}`);
    }
    case 'identity remove': {
      const what = arg(0, 'system, client-id, object-id or resource-id');
      if (what === 'system') return ['identity.remove', { identity: { type: 'system' } }];
      const field = ({ 'client-id': 'clientId', 'object-id': 'objectId', 'resource-id': 'resourceId' } as Record<string, string>)[what];
      if (!field) throw usage(`identity remove: expected system, client-id, object-id or resource-id, got ${JSON.stringify(what)}`);
      return ['identity.remove', { identity: { [field]: arg(1, 'VALUE') } }];
    }
    case 'lb set':
      return ['loadbalancer.set', { loadBalancer: await readDocument(arg(0, 'FILE')) }];
    case 'lb none':
      return ['loadbalancer.set', { loadBalancer: null }];
    default:
      if (group === 'log') return ['log.query', logFilter(values)];
      throw usage(group === undefined ? 'no command given' : `unknown command ${JSON.stringify(words.join(' '))}`);
  }
}

function logFilter(values: Values): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  for (const key of ['since', 'status', 'limit'] as const) {
    const n = integerFlag(values, key);
    if (n !== undefined) filter[key] = n;
  }
  if (values.path !== undefined) filter.path = values.path;
  if (values.rule !== undefined) filter.rule = values.rule;
  return filter;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndWords(argv, OPTIONS, usage);
  let values = parsed.values as Values;
  const words = parsed.words;
  if (values.lab !== undefined) {
    requireRoot('imds-lab ctl --lab');
    const state = readRunningLab(io.env, parseName(values.lab));
    const host = state.namespaces.host!;
    if (!inNamespace(host)) {
      // The control plane answers only its own network namespace: run this ctl again inside <lab>-host.
      const rest = withoutLabFlag(argv);
      return execInNamespace(host, [...selfCommand(), 'ctl', '--socket', state.controlSocket, ...rest], { ...io.env }, {
        stdout: io.stdout,
        stderr: io.stderr,
        inheritStdin: values.stdio === true,
      });
    }
    values = { ...values, socket: state.controlSocket };
  }
  if (values.stdio) {
    if (words.length > 0) throw usage('--stdio takes no command');
    await relayControlSocket(controlSocketPath(values, io.env), process.stdin, io.stdout);
    return 0;
  }
  const client = await ControlClient.connect(controlSocketPath(values, io.env), values.vm !== undefined ? { vm: values.vm } : {});
  try {
    if (words[0] === 'log' && values.follow) {
      const { limit: _limit, ...filter } = logFilter(values);
      await client.followLog(filter, (entry) => io.stdout.write(`${JSON.stringify(entry)}\n`));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return 0;
    }
    const [op, params] = await toRequest(words, values);
    const result = await client.request(op, params);
    if (op === 'log.query') {
      for (const entry of (result as { entries: unknown[] }).entries) io.stdout.write(`${JSON.stringify(entry)}\n`);
    } else {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ControlError && error.code !== CONTROL_ERROR_CODES.connection) {
      io.stderr.write(`imds-lab ctl: ${error.message}\n`);
      return error.code === 'ERR_USAGE' ? 2 : 1; // usage errors exit 2, as in every command
    }
    throw error;
  } finally {
    await client.close();
  }
}

/** True when this process runs in the named network namespace (ip netns: /run/netns/NAME). */
function inNamespace(name: string): boolean {
  try {
    const own = statSync('/proc/self/ns/net');
    const named = statSync(`/run/netns/${name}`);
    return own.ino === named.ino && own.dev === named.dev;
  } catch {
    return false;
  }
}

/** argv without --lab NAME / --lab=NAME. */
function withoutLabFlag(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--lab') i++;
    else if (!argv[i]!.startsWith('--lab=')) out.push(argv[i]!);
  }
  return out;
}

export const ctlCommand: CliCommand = {
  name: 'ctl',
  help: HELP,
  run,
};
