// The ladder (sequence diagram) view model (pure): a traced TCP connection -> its events in time order
// (SYN and retransmissions, SYN-ACK, request with api-version/Metadata/proxy, response and deciding rule,
// FIN, RST, ICMP destination-unreachable) plus marks (faults, timeline phases), with times relative to the page's first packet.
import type { TraceConnection } from '../lab/trace-analysis.ts';
import { describeClient, type TraceLabInfo } from '../lab/trace-format.ts';

export type LadderEventKind = 'syn' | 'syn-ack' | 'ack' | 'request' | 'response' | 'fin' | 'rst' | 'icmp' | 'mark';

export interface LadderEvent {
  /** Microseconds since the page's time zero. */
  readonly tUs: number;
  /** Who sent it: client -> server, server -> client, or a mark on the time axis. */
  readonly from: 'client' | 'server' | 'axis';
  readonly kind: LadderEventKind;
  /** Short text drawn on the arrow. */
  readonly label: string;
  /** Longer text for the table and the SVG description. */
  readonly detail: string;
  /** A SYN that got no answer, or a request without a response: drawn ending in a cross. */
  readonly unanswered: boolean;
  /** HTTP status of a response. */
  readonly status?: number;
  /** A second, smaller line under the arrow (request: api-version, Metadata, proxy; response: the rule). */
  readonly note?: string;
}

/** A mark on the time axis: an injected fault, a timeline phase. */
export interface LadderMark {
  readonly tUs: number;
  readonly label: string;
}

export interface LadderView {
  readonly index: number;
  readonly title: string;
  readonly client: { readonly address: string; readonly port: number; readonly role: string; readonly viaProxy: boolean };
  readonly server: { readonly address: string; readonly port: number };
  /** Host-namespace interfaces the client's packets arrived on. */
  readonly interfaces: readonly string[];
  readonly events: readonly LadderEvent[];
  readonly synCount: number;
  /** Statuses of the responses, in order. */
  readonly statuses: readonly number[];
  readonly summary: string;
}

export function formatDuration(us: number): string {
  const ms = us / 1000;
  if (Math.abs(ms) < 10) return `${ms.toFixed(2)} ms`;
  if (Math.abs(ms) < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The api-version of a request target, or null. */
function apiVersion(target: string): string | null {
  const q = target.indexOf('?');
  if (q < 0) return null;
  for (const pair of target.slice(q + 1).split('&')) {
    const [k, v] = pair.split('=');
    if (k === 'api-version') {
      try {
        return decodeURIComponent(v ?? '');
      } catch {
        return v ?? '';
      }
    }
  }
  return null;
}

const RULE_TEXT: Readonly<Record<string, string>> = {
  'x-forwarded-for': 'a proxy added X-Forwarded-For',
  'metadata-header': 'Metadata: true missing or wrong',
  'api-version': 'api-version missing or unsupported',
  'rate-limit': 'rate limit',
  fault: 'injected HTTP fault',
  route: 'no such path',
  handler: 'the endpoint handler',
  verb: 'method not allowed',
  'duplicate-query': 'duplicate query parameter',
  'body-size': 'body too large',
  'internal-error': 'internal error',
};

/** RFC 792 / RFC 1812 §5.2.7.1 destination-unreachable codes. */
const UNREACHABLE_TEXT: Readonly<Record<number, string>> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  9: 'net administratively prohibited',
  10: 'host administratively prohibited',
  13: 'communication administratively prohibited',
};

/** "ICMP net unreachable (code 0)" for a destination-unreachable; other types by number. */
export function icmpText(type: number, code: number): string {
  return type === 3 ? `ICMP ${UNREACHABLE_TEXT[code] ?? 'destination unreachable'} (code ${code})` : `ICMP type ${type} code ${code}`;
}

export function ruleText(rule: string): string {
  return RULE_TEXT[rule] ? `${rule} (${RULE_TEXT[rule]})` : rule;
}

export function buildLadder(c: TraceConnection, index: number, options: { readonly zeroUs: number; readonly lab: TraceLabInfo | null; readonly marks?: readonly LadderMark[] }): LadderView {
  const t = (us: number): number => us - options.zeroUs;
  const viaProxy = options.lab?.proxy?.ip === c.client;
  const role = describeClient(c.client, options.lab) || 'client';
  const events: LadderEvent[] = [];
  const icmp = c.icmp;
  c.synUs.forEach((us, i) => {
    const answered = c.synAckUs !== null && i === c.synUs.length - 1;
    const next = c.synUs[i + 1] ?? Infinity;
    const error = icmp.find((x) => x.timeUs >= us && x.timeUs < next);
    const label = i === 0 ? 'SYN' : `SYN retransmission ${i}`;
    const gap = i === 0 ? '' : ` (${formatDuration(us - c.synUs[i - 1]!)} after the previous SYN)`;
    const fate = answered ? 'answered' : error ? `answered with ${icmpText(error.type, error.code)} from ${error.from}` : c.synAckUs !== null ? 'not answered in time, retransmitted' : c.resetBy === 'server' ? 'answered with RST' : 'no answer (dropped)';
    events.push({ tUs: t(us), from: 'client', kind: 'syn', label, detail: `${label} at +${formatDuration(t(us))}${gap}: ${fate}`, unanswered: !answered && !error && c.resetBy !== 'server' });
  });
  if (c.synAckUs !== null) {
    events.push({ tUs: t(c.synAckUs), from: 'server', kind: 'syn-ack', label: 'SYN-ACK', detail: `SYN-ACK ${formatDuration(c.synAckUs - (c.synUs.at(-1) ?? c.firstSynUs))} after the last SYN`, unanswered: false });
  }
  for (const e of c.exchanges) {
    const [method = '', target = ''] = e.request.split(' ');
    const path = target.split('?')[0] ?? target;
    const version = apiVersion(target);
    const metadata = e.headers.metadata === null ? 'no Metadata header' : `Metadata: ${e.headers.metadata}`;
    const xff = e.headers.xForwardedFor === null ? '' : `, X-Forwarded-For: ${e.headers.xForwardedFor}`;
    const how = viaProxy ? 'via the proxy' : 'direct';
    events.push({
      tUs: t(e.requestUs),
      from: 'client',
      kind: 'request',
      label: `${method} ${path}`,
      detail: `${method} ${target} (api-version ${version ?? 'none'}, ${metadata}${xff}, ${how})`,
      unanswered: e.status === null,
      note: `${version === null ? 'no api-version' : `api ${version}`} · ${e.headers.metadata === null ? 'no Metadata' : `Metadata: ${e.headers.metadata}`}${e.headers.xForwardedFor === null ? '' : ' · XFF'} · ${viaProxy ? 'via proxy' : 'direct'}`,
    });
    if (e.status !== null && e.responseUs !== null) {
      const rule = e.rule ? `; rule ${ruleText(e.rule)}` : '';
      events.push({
        tUs: t(e.responseUs),
        from: 'server',
        kind: 'response',
        label: `${e.status} ${e.reason}`.trim(),
        detail: `${e.status} ${e.reason} after ${formatDuration(e.responseUs - e.requestUs)}${rule}`,
        unanswered: false,
        status: e.status,
        ...(e.rule ? { note: `rule ${e.rule}` } : {}),
      });
      if (e.rule === 'fault') events.push({ tUs: t(e.responseUs), from: 'axis', kind: 'mark', label: 'HTTP fault', detail: `an injected HTTP fault decided this response (${e.status})`, unanswered: false });
    }
  }
  for (const x of icmp) {
    const text = icmpText(x.type, x.code);
    events.push({ tUs: t(x.timeUs), from: 'server', kind: 'icmp', label: text, detail: `${text} from ${x.from}, quoting the client's packet (RFC 792)`, unanswered: false, note: `from ${x.from}` });
  }
  for (const fin of c.fins) events.push({ tUs: t(fin.timeUs), from: fin.by, kind: 'fin', label: 'FIN', detail: `FIN from the ${fin.by}`, unanswered: false });
  if (c.resetBy !== null && c.resetUs !== null) events.push({ tUs: t(c.resetUs), from: c.resetBy, kind: 'rst', label: 'RST', detail: `RST from the ${c.resetBy}`, unanswered: false });
  const first = events.length ? Math.min(...events.map((e) => e.tUs)) : 0;
  const last = events.length ? Math.max(...events.map((e) => e.tUs)) : 0;
  for (const m of options.marks ?? []) {
    const tm = t(m.tUs);
    if (tm >= first && tm <= last) events.push({ tUs: tm, from: 'axis', kind: 'mark', label: m.label, detail: `${m.label} at +${formatDuration(tm)}`, unanswered: false });
  }
  // Stable by time; at equal times keep the order above (SYN before SYN-ACK, response before its mark).
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.tUs - b.e.tUs || a.i - b.i).map((x) => x.e);
  const statuses = c.exchanges.flatMap((e) => (e.status === null ? [] : [e.status]));
  let summary: string;
  if (c.synAckUs === null) summary = `${c.synCount} SYN${c.synCount === 1 ? '' : 's'}, ${icmp.length ? `refused with ${icmpText(icmp[0]!.type, icmp[0]!.code)} from ${icmp[0]!.from}` : c.resetBy === 'server' ? 'refused with RST' : 'never answered (silently dropped)'}`;
  else if (statuses.length) summary = `${c.synCount} SYN${c.synCount === 1 ? '' : 's'}, connected, HTTP ${statuses.join(', ')}`;
  else summary = `${c.synCount} SYN${c.synCount === 1 ? '' : 's'}, connected, no HTTP response captured`;
  return {
    index,
    title: `#${index + 1} ${c.client}:${c.clientPort} → ${c.server}:${c.serverPort}`,
    client: { address: c.client, port: c.clientPort, role, viaProxy },
    server: { address: c.server, port: c.serverPort },
    interfaces: c.ifindexes.map((i) => options.lab?.hostInterfaces[String(i)] ?? `if#${i}`),
    events: ordered,
    synCount: c.synCount,
    statuses,
    summary,
  };
}

/** Every connection of a trace, on one time axis starting at the first SYN. */
export function buildLadders(connections: readonly TraceConnection[], lab: TraceLabInfo | null, marks: readonly LadderMark[] = []): LadderView[] {
  const zeroUs = connections.length ? Math.min(...connections.map((c) => c.firstSynUs)) : 0;
  return connections.map((c, i) => buildLadder(c, i, { zeroUs, lab, marks }));
}
