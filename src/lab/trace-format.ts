// Renders a trace for people: per connection the client (address, which VM NIC/IP or the proxy), the
// host-namespace interface it arrived on, SYN retries, handshake timing, and each request's status and rule.
import type { TraceConnection, TraceResult } from './trace-analysis.ts';

/** What the lab knew about itself when the capture was made (the <pcap>.lab.json sidecar). */
export interface TraceLabInfo {
  readonly name: string;
  readonly scenario: string;
  readonly fixed: boolean;
  readonly nics: readonly { readonly device: string; readonly ips: readonly string[] }[];
  readonly proxy: { readonly ip: string } | null;
  readonly hostInterfaces: Readonly<Record<string, string>>;
}

function ms(us: number): string {
  const value = us / 1000;
  return value < 10 ? `${value.toFixed(2)} ms` : value < 1000 ? `${value.toFixed(1)} ms` : `${(value / 1000).toFixed(2)} s`;
}

export function describeClient(address: string, lab: TraceLabInfo | null): string {
  if (!lab) return '';
  if (lab.proxy && lab.proxy.ip === address) return 'the proxy namespace: the request was forwarded by the proxy';
  for (const [n, nic] of lab.nics.entries()) {
    const i = nic.ips.indexOf(address);
    if (i >= 0) return `VM ${nic.device}, ${n === 0 ? 'primary NIC' : 'secondary NIC'}, ${i === 0 ? 'primary IP' : 'secondary IP'}`;
  }
  return 'not a lab address';
}

function describeConnection(c: TraceConnection, index: number, lab: TraceLabInfo | null, startUs: number): string[] {
  const who = describeClient(c.client, lab);
  const via = c.ifindexes.map((i) => lab?.hostInterfaces[String(i)] ?? `if#${i}`);
  const lines = [`#${index + 1} ${c.client}:${c.clientPort} -> ${c.server}:${c.serverPort}${via.length ? ` in on ${via.join(' -> ')}` : ''}${who ? ` (${who})` : ''}`];
  const at = `t=+${ms(c.firstSynUs - startUs)}`;
  if (c.synCount === 0) lines.push(`   ${at}: no SYN captured (connection already open)`);
  else if (c.synAckUs === null) {
    const icmp = c.icmp[0];
    const reason = icmp ? `answered with ICMP destination unreachable code ${icmp.code} from ${icmp.from}` : c.resetBy === 'server' ? 'answered with RST' : 'no answer (dropped: IMDS only answers the primary NIC\'s primary IP)';
    lines.push(`   ${at}: ${c.synCount} SYN${c.synCount > 1 ? 's (retransmitted)' : ''}, ${reason}`);
  } else {
    const handshake = c.ackUs !== null ? `, handshake ${ms(c.ackUs - c.firstSynUs)}` : '';
    lines.push(`   ${at}: SYN${c.synCount > 1 ? ` x${c.synCount}` : ''}, SYN-ACK after ${ms(c.synAckUs - c.firstSynUs)}${handshake}`);
  }
  for (const e of c.exchanges) {
    const answer = e.status === null ? 'no response captured' : `${e.status} ${e.reason} after ${ms((e.responseUs ?? e.requestUs) - e.requestUs)}`;
    const rule = e.rule ? `; decided by rule ${e.rule}` : '';
    lines.push(`   ${e.request} -> ${answer}${rule}`);
  }
  if (c.resetBy) lines.push(`   reset by the ${c.resetBy}`);
  return lines;
}

export function formatTrace(file: string, result: TraceResult, lab: TraceLabInfo | null, requestLogLines: number | null): string {
  const header = [
    `${file}: ${result.packets} IPv4 packet(s), ${result.connections.length} connection(s)${result.skipped ? `, ${result.skipped} skipped` : ''}`,
    lab ? `lab ${lab.name}, scenario ${lab.scenario}${lab.fixed ? ' (fixed)' : ''}` : 'no lab description (<pcap>.lab.json) found: interfaces shown by index',
    requestLogLines === null ? 'no request log (<pcap>.requests.log) found: rules not shown' : `request log: ${requestLogLines} request(s)`,
  ];
  const start = result.connections.length ? Math.min(...result.connections.map((c) => c.firstSynUs)) : 0;
  const body = result.connections.flatMap((c, i) => describeConnection(c, i, lab, start));
  return `${[...header, '', ...body].join('\n')}\n`;
}
