// Page models for the CLI commands (pure): doctor (path as running + with --fixed, probe connections),
// trace (connections of a pcap), run (the run's own connections and its path). Facts in, PageModel out.
import type { DoctorFacts, DoctorReport } from '../lab/doctor-analysis.ts';
import type { LabNic } from '../lab/lab-nics.ts';
import { renderTemplate } from '../lab/lab-naming.ts';
import type { ScenarioFix } from '../lab/scenario-types.ts';
import type { TraceResult } from '../lab/trace-analysis.ts';
import type { TraceLabInfo } from '../lab/trace-format.ts';
import { buildLadders, type LadderMark } from './ladder-model.ts';
import type { CheckGroup, PageModel } from './page-html.ts';
import { applyFix, buildPathView, type PathFacts, type PathObservation, type PathView } from './path-model.ts';
import type { FixRoute } from './route-select.ts';

/** What the view needs of a running lab (a subset of LabState). */
export interface LabFacts {
  readonly name: string;
  readonly scenario: string;
  readonly fixed: boolean;
  readonly capture: string;
  readonly nics: readonly Pick<LabNic, 'device' | 'ips' | 'prefix' | 'gateway'>[];
  readonly cluster: { readonly device: string; readonly ip: string; readonly prefix: number } | null;
  readonly proxy: { readonly ip: string; readonly port: number; readonly forwardedFor: boolean } | null;
}

export function pathFacts(lab: LabFacts, vm: { readonly namespace: string; readonly primary: DoctorFacts['primary'] }, routes: Pick<DoctorFacts, 'routeGet' | 'routes'>, env: Readonly<Record<string, string>>): PathFacts {
  const interfaces: PathFacts['interfaces'][number][] = lab.nics.map((n, i) => ({
    device: n.device,
    addresses: n.ips.map((ip) => `${ip}/${n.prefix}`),
    gateway: n.gateway,
    role: i === 0 ? 'primary' : 'secondary',
  }));
  if (lab.cluster) interfaces.push({ device: lab.cluster.device, addresses: [`${lab.cluster.ip}/${lab.cluster.prefix}`], gateway: null, role: 'cluster' });
  return {
    lab: lab.name,
    scenario: lab.scenario,
    fixed: lab.fixed,
    vmNamespace: vm.namespace,
    capture: lab.capture,
    primary: vm.primary,
    interfaces,
    routes: routes.routes,
    routeGet: routes.routeGet,
    env,
    proxy: lab.proxy ? { ip: lab.proxy.ip, port: lab.proxy.port, forwardedFor: lab.proxy.forwardedFor } : null,
  };
}

/** The scenario's documented fix for the VM, placeholders resolved; null when the fix changes nothing in the lab. */
export function resolveFix(fix: ScenarioFix, vars: Readonly<Record<string, string>>): { routes: FixRoute[]; env: Record<string, string> } | null {
  const routes = fix.routes
    .filter((r) => r.ns === 'vm')
    .map((r) => {
      const route: { -readonly [K in keyof FixRoute]: FixRoute[K] } = { to: renderTemplate(r.to, vars), dev: renderTemplate(r.dev, vars) };
      if (r.via !== undefined) route.via = renderTemplate(r.via, vars);
      if (r.src !== undefined) route.src = renderTemplate(r.src, vars);
      if (r.metric !== undefined) route.metric = r.metric;
      return route;
    });
  const env = Object.fromEntries(Object.entries(fix.env).map(([k, v]) => [k, renderTemplate(v, vars)]));
  return routes.length || Object.keys(env).length ? { routes, env } : null;
}

/** The path as running and, for a broken lab whose scenario has a fix, the path with --fixed (predicted). */
export function pathViews(facts: PathFacts, fix: ReturnType<typeof resolveFix>, observed: PathObservation | null): PathView[] {
  const running = buildPathView(facts, { caption: `As running: lab ${facts.lab}, scenario ${facts.scenario}${facts.fixed ? ' (--fixed)' : ''}`, predicted: false, observed });
  if (facts.fixed || !fix) return [running];
  const fixed = buildPathView(applyFix(facts, fix), { caption: `With --fixed (predicted from the scenario's fix)`, predicted: true, observed: null });
  return [running, fixed];
}

function labFactsList(lab: { readonly name: string; readonly scenario: string; readonly fixed: boolean; readonly capture?: string } | null, source: string, generated: string): [string, string][] {
  const out: [string, string][] = [];
  if (lab) out.push(['lab', lab.name], ['scenario', `${lab.scenario}${lab.fixed ? ' (--fixed)' : ''}`]);
  if (lab?.capture) out.push(['capture', lab.capture]);
  out.push(['source', source], ['generated', generated]);
  return out;
}

export function doctorPage(input: {
  readonly lab: LabFacts;
  readonly facts: PathFacts;
  readonly report: DoctorReport;
  readonly probe: DoctorFacts['appProbe'];
  readonly fix: ReturnType<typeof resolveFix>;
  readonly trace: { readonly result: TraceResult; readonly lab: TraceLabInfo | null } | null;
  /** Faults active in the responder while the doctor looked (from the control plane), in words. */
  readonly faults?: readonly string[];
  /** Timeline phases (timelineMarks) drawn on the ladders' time axis. */
  readonly marks?: readonly LadderMark[];
  /** The doctor's checks per vantage point (the VM; its container when the lab has one). */
  readonly checks?: readonly CheckGroup[];
  readonly generated: string;
}): PageModel {
  const p = input.probe;
  const faults = input.faults ?? [];
  const injected = faults.length ? ` Faults injected: ${faults.join('; ')}.` : '';
  const observed: PathObservation = { status: p.status, text: `${p.status !== null ? `The doctor's probe got HTTP ${p.status} in ${p.timeMs} ms.` : `The doctor's probe got no answer after ${p.timeMs} ms${p.error ? ` (${p.error})` : ''}.`}${injected}` };
  return {
    title: `imds-lab doctor: ${input.lab.name} (${input.lab.scenario})`,
    facts: [...labFactsList(input.lab, `doctor, from ${input.facts.vmNamespace}`, input.generated), ...(faults.length ? [['faults injected now', faults.join('; ')] as [string, string]] : [])],
    verdict: {
      ok: input.report.healthy,
      title: input.report.healthy ? 'healthy' : `problem: ${input.report.cause}`,
      detail: `${input.report.summary}${injected}`,
      fix: input.report.healthy ? null : faults.length ? `${input.report.fix} (or clear the faults: imds-lab ctl --lab ${input.lab.name} net clear / fault clear)` : input.report.fix,
    },
    paths: pathViews(input.facts, input.fix, observed),
    pathNote: null,
    ladders: input.trace ? buildLadders(input.trace.result.connections, input.trace.lab, input.marks ?? []) : [],
    ladderNote: input.trace ? 'Every connection captured since the lab came up (the doctor\'s own probes are the last ones).' : 'The lab has no capture: start it with imds-lab up --pcap FILE to see each connection here.',
    checks: input.checks ?? [],
  };
}

/** The non-neutral fields of `ctl net show` and the entries of `ctl fault list`, in words (unknown shapes are shown as JSON). */
export function describeFaults(net: unknown, http: unknown): string[] {
  const out: string[] = [];
  const { faults, setAt } = (net ?? {}) as { faults?: unknown; setAt?: unknown };
  const netAt = typeof setAt === 'string' ? ` (set ${setAt})` : '';
  if (faults && typeof faults === 'object') {
    for (const [key, value] of Object.entries(faults as Record<string, unknown>)) {
      if (key === 'seed' || value === 0 || value === false || value === 'none' || value === null) continue;
      if (value && typeof value === 'object' && Object.values(value).every((v) => v === 0)) continue;
      out.push(`network ${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}${netAt}`);
    }
  }
  if (Array.isArray(http)) {
    for (const entry of http as { id?: unknown; fault?: unknown; addedAt?: unknown }[]) {
      out.push(`HTTP fault #${String(entry.id ?? '?')} ${JSON.stringify(entry.fault ?? entry)}${typeof entry.addedAt === 'string' ? ` (added ${entry.addedAt})` : ''}`);
    }
  }
  return out;
}

/**
 * Marks for faults set through the control plane (`ctl net show`: setAt, `ctl fault list`: addedAt), on the
 * pcap time axis (wall-clock microseconds). Faults without a recorded time (daemon flags) give none.
 */
export function faultMarks(net: unknown, http: unknown): LadderMark[] {
  const out: LadderMark[] = [];
  const setAt = (net as { setAt?: unknown } | null)?.setAt;
  const netMs = typeof setAt === 'string' ? Date.parse(setAt) : NaN;
  if (Number.isFinite(netMs)) {
    const now = describeFaults({ faults: (net as { faults?: unknown }).faults }, null).map((f) => f.replace(/^network /, ''));
    out.push({ tUs: netMs * 1000, label: now.length ? `network faults set: ${now.join(', ')}` : 'network faults cleared' });
  }
  if (Array.isArray(http)) {
    for (const entry of http as { id?: unknown; fault?: { status?: unknown; delayMs?: unknown; path?: unknown }; addedAt?: unknown }[]) {
      const ms = typeof entry.addedAt === 'string' ? Date.parse(entry.addedAt) : NaN;
      if (!Number.isFinite(ms)) continue;
      const f = entry.fault ?? {};
      const what = [f.status !== undefined ? String(f.status) : '', f.delayMs !== undefined ? `delay ${String(f.delayMs)} ms` : ''].filter(Boolean).join(', ');
      out.push({ tUs: ms * 1000, label: `HTTP fault #${String(entry.id ?? '?')} added: ${what}${typeof f.path === 'string' ? ` on ${f.path}` : ''}` });
    }
  }
  return out;
}

/**
 * The phases a timeline entered (`ctl timeline status`: history[].wallTime, ISO 8601), as marks on the pcap
 * time axis (wall-clock microseconds). Anything else (no timeline: null) gives none.
 */
export function timelineMarks(status: unknown): LadderMark[] {
  const s = status as { name?: unknown; phases?: unknown; history?: unknown } | null;
  if (!s || !Array.isArray(s.history)) return [];
  const name = typeof s.name === 'string' && s.name ? `timeline ${s.name}` : 'timeline';
  const out: LadderMark[] = [];
  for (const h of s.history as { phase?: unknown; label?: unknown; wallTime?: unknown }[]) {
    const ms = typeof h.wallTime === 'string' ? Date.parse(h.wallTime) : NaN;
    if (!Number.isFinite(ms) || typeof h.phase !== 'number') continue;
    const label = typeof h.label === 'string' && h.label ? `: ${h.label}` : '';
    out.push({ tUs: ms * 1000, label: `${name} phase ${h.phase + 1}${typeof s.phases === 'number' ? `/${s.phases}` : ''}${label}` });
  }
  return out;
}

export function tracePage(input: { readonly file: string; readonly result: TraceResult; readonly lab: TraceLabInfo | null; readonly requestLog: boolean; readonly marks?: readonly LadderMark[]; readonly generated: string }): PageModel {
  const ladders = buildLadders(input.result.connections, input.lab, input.marks ?? []);
  return {
    title: `imds-lab trace: ${input.file}`,
    facts: labFactsList(input.lab, `${input.file}: ${input.result.packets} packets${input.requestLog ? ', request log' : ', no request log (rules not shown)'}`, input.generated),
    verdict: null,
    paths: [],
    pathNote: 'A capture holds no route table: use imds-lab doctor --html or imds-lab run --html to see the path.',
    ladders,
    ladderNote: ladders.length ? null : 'No TCP connection to port 80 in this capture.',
  };
}

export function runPage(input: {
  readonly command: readonly string[];
  readonly exitCode: number;
  readonly lab: LabFacts;
  readonly facts: PathFacts;
  readonly fix: ReturnType<typeof resolveFix>;
  readonly trace: { readonly result: TraceResult; readonly lab: TraceLabInfo | null };
  /** Timeline phases (timelineMarks) drawn on the ladders' time axis. */
  readonly marks?: readonly LadderMark[];
  readonly generated: string;
}): PageModel {
  const ladders = buildLadders(input.trace.result.connections, input.trace.lab, input.marks ?? []);
  const statuses = ladders.flatMap((l) => l.statuses);
  const last = statuses.at(-1);
  const observed: PathObservation | null = ladders.length === 0 ? null : last !== undefined ? { status: last, text: `The command's last response was HTTP ${last}.` } : { status: null, text: 'The command got no HTTP response.' };
  return {
    title: `imds-lab run: ${input.command.join(' ')}`,
    facts: [...labFactsList(input.lab, 'run', input.generated), ['exit code', String(input.exitCode)]],
    verdict: null,
    paths: pathViews(input.facts, input.fix, observed),
    pathNote: null,
    ladders,
    ladderNote: ladders.length ? null : 'The command made no connection to 169.254.169.254 (through a proxy, the proxy\'s connections are shown).',
  };
}
