// `imds-lab persona KIND --listen ADDR:PORT`: runs one of the lab's personas (src/lab/persona-servers.ts)
// until SIGINT/SIGTERM; the lab starts them inside its namespaces (foreign responders, refusing proxies, CA Issuers).
import { LabError } from '../lab/lab-error.ts';
import { PERSONA_KINDS, startPersona, type PersonaKind } from '../lab/persona-servers.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { parseFlagsAndWords } from './cli-options.ts';
import { resolveStateDir } from './state-dir.ts';

const HELP = `Usage: imds-lab persona KIND --listen ADDR:PORT [--state-dir DIR]

Runs a server that answers like something that is not IMDS (the lab starts these in its namespaces):
  ca-issuers         the lab's CA Issuers URI: GET /pki/<name>.crt (a trailing %0A is tolerated) answers the
                     issuing CA as DER (from DIR/pki, the responder's --state-dir)
  docker-desktop     HTTP/1.0 403 "connecting to 169.254.169.254:80: … unreachable network." (S7)
  foreign-html       200 with an HTML sign-in page (captive portal / another cloud; S8)
  http10-close       HTTP/1.0 200 with no body, then closes (S8)
  tls-only           speaks TLS on the port (S8)
  proxy-refuse       an HTTP proxy answering 400 "Fail to directly connect with <host>" (S5)
  proxy-bad-gateway  an HTTP proxy answering 502 Bad Gateway (S5)
Prints "persona KIND listening on ADDR:PORT" when ready, then one line per request.`;

function parseListen(text: string | undefined): { host: string; port: number } {
  const m = text === undefined ? null : /^([0-9.]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new LabError('ERR_LAB_USAGE', `--listen: expected IPv4:PORT, got ${JSON.stringify(text ?? '')}`);
  return { host: m[1]!, port: Number(m[2]) };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, words } = parseFlagsAndWords(argv, { listen: { type: 'string' }, 'state-dir': { type: 'string' } });
  const kind = words[0];
  if (words.length !== 1 || !(PERSONA_KINDS as readonly string[]).includes(kind!)) {
    throw new LabError('ERR_LAB_USAGE', `persona: expected one KIND of ${PERSONA_KINDS.join(', ')}, got ${JSON.stringify(words.join(' '))}`);
  }
  const { host, port } = parseListen(values.listen);
  const server = await startPersona({
    kind: kind as PersonaKind,
    host,
    port,
    stateDir: resolveStateDir(values['state-dir'], io.env),
    log: (line) => io.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });
  io.stdout.write(`persona ${kind} listening on ${host}:${port}\n`);
  const signal = await new Promise<string>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
  });
  await new Promise((resolve) => server.close(resolve));
  io.stderr.write(`persona ${kind}: ${signal}: stopped\n`);
  return 0;
}

export const personaCommand: CliCommand = { name: 'persona', help: HELP, run };
