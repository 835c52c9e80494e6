// `imds-lab trace FILE`: explains a pcap of IMDS traffic per request (client address and interface, TCP
// handshake timing, HTTP status, and the rule that decided, from the responder's request log).
import { readFileSync } from 'node:fs';
import { LabError } from '../lab/lab-error.ts';
import { readPcap } from '../lab/pcap-read.ts';
import { analyzeTrace, parseRequestLog } from '../lab/trace-analysis.ts';
import { formatTrace, type TraceLabInfo } from '../lab/trace-format.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { JSON_FLAG, parseFlagsAndWords } from './cli-options.ts';
import { HTML_FLAG, writeHtmlPage } from './html-view-io.ts';
import { tracePage } from '../view/lab-pages.ts';

const HELP = `Usage: imds-lab trace FILE [--lab FILE.lab.json] [--requests FILE] [--json] [--html OUT.html]

Explains a capture of IMDS traffic, connection by connection: the client's address (which VM NIC and IP,
or the proxy), the host-namespace interface it arrived on, SYN retransmissions, handshake timing, each
HTTP request with its status, and which request rule decided (from the responder's request log).

Record one with: imds-lab up --pcap FILE … ; requests … ; imds-lab down. up writes FILE.lab.json (the lab's
addresses and interfaces) and down saves the responder's request log as FILE.requests.log; both are found
automatically. Captures from tcpdump -i any -y LINUX_SLL2 (interfaces) or raw IPv4 (serve --pcap) work.
--html OUT.html also writes a self-contained page with each connection as a ladder diagram.`;

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlagsAndWords(argv, { lab: { type: 'string' }, requests: { type: 'string' }, ...JSON_FLAG, ...HTML_FLAG });
  const [file, extra] = parsed.words;
  if (!file || extra !== undefined) throw new LabError('ERR_LAB_USAGE', 'expected one pcap FILE');
  const { packets } = await readPcap(file);
  const labText = readOptional(parsed.values.lab ?? `${file}.lab.json`);
  const lab = labText ? (JSON.parse(labText) as TraceLabInfo) : null;
  const logText = readOptional(parsed.values.requests ?? `${file}.requests.log`);
  const log = logText === null ? null : parseRequestLog(logText);
  const result = analyzeTrace(packets, log ?? []);
  if (parsed.values.html !== undefined) writeHtmlPage(parsed.values.html, tracePage({ file, result, lab, requestLog: log !== null, generated: new Date().toISOString() }));
  if (parsed.values.json) io.stdout.write(`${JSON.stringify({ file, lab, ...result }, null, 2)}\n`);
  else io.stdout.write(formatTrace(file, result, lab, log ? log.length : null));
  return 0;
}

export const traceCommand: CliCommand = { name: 'trace', help: HELP, run };
