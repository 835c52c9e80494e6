// The I/O of the HTML view for the CLI commands (doctor/trace/run --html): read a lab's capture and
// responder log, load the scenario's fix, write the page. Everything pure lives in src/view/.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DoctorFacts, DoctorReport } from '../lab/doctor-analysis.ts';
import { doctorTarget, gatherRouteFacts, type DoctorTarget } from '../lab/doctor-facts.ts';
import { processRunner } from '../process/process-runner.ts';
import { findScenario } from '../lab/lab-data-files.ts';
import { readPcap } from '../lab/pcap-read.ts';
import type { LabState } from '../lab/lab-state.ts';
import { analyzeTrace, parseRequestLog, type TraceResult } from '../lab/trace-analysis.ts';
import type { TraceLabInfo } from '../lab/trace-format.ts';
import { describeFaults, doctorPage, faultMarks, pathFacts, resolveFix, runPage, timelineMarks, type LabFacts } from '../view/lab-pages.ts';
import type { LadderMark } from '../view/ladder-model.ts';
import { selfCommand } from '../lab/lab-setup.ts';
import type { PathFacts } from '../view/path-model.ts';
import { renderPage, type CheckGroup, type PageModel } from '../view/page-html.ts';

export const HTML_FLAG = { html: { type: 'string' } } as const;

/** tcpdump without --immediate-mode hands packets over in blocks (buffer timeout 1 s): wait that long before reading a live capture. */
const CAPTURE_SETTLE_MS = 1100;

function settleCapture(): Promise<void> {
  return new Promise((done) => setTimeout(done, CAPTURE_SETTLE_MS));
}

export function labFacts(state: LabState): LabFacts {
  return { name: state.name, scenario: state.scenario, fixed: state.fixed, capture: state.capture, nics: state.nics, cluster: state.cluster, proxy: state.proxy };
}

export function traceLabInfo(state: LabState): TraceLabInfo {
  return { name: state.name, scenario: state.scenario, fixed: state.fixed, nics: state.nics, proxy: state.proxy, hostInterfaces: state.hostInterfaces };
}

/** The scenario's fix with the lab's placeholders, or null (unknown scenario or nothing to change). */
export function labFix(state: LabState): ReturnType<typeof resolveFix> {
  try {
    return resolveFix(findScenario(state.scenario).fixed, state.vars);
  } catch {
    return null;
  }
}

/** The connections in a pcap, with the rules from a responder log text (null: none). */
export async function traceFromPcap(file: string, requestLogText: string | null): Promise<TraceResult> {
  const { packets } = await readPcap(file);
  return analyzeTrace(packets, requestLogText === null ? [] : parseRequestLog(requestLogText));
}

export function writeHtmlPage(file: string, page: PageModel): void {
  writeFileSync(file, renderPage(page), { mode: 0o644 });
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** doctor --html: the path as running and with --fixed, and the lab's captured connections when it has a pcap. */
export async function writeDoctorHtml(file: string, state: LabState, target: DoctorTarget, facts: DoctorFacts, report: DoctorReport, checks: readonly CheckGroup[]): Promise<void> {
  if (state.pcapFile) await settleCapture();
  const trace = state.pcapFile ? { result: await traceFromPcap(state.pcapFile, readOptional(`${state.stateDir}/responder.log`)), lab: traceLabInfo(state) } : null;
  const path = pathFacts(labFacts(state), { namespace: target.namespace, primary: target.primary }, facts, facts.env);
  const [net, http, timeline] = await Promise.all([ctlJson(state, ['net', 'show'], target.vm), ctlJson(state, ['fault', 'list'], target.vm), ctlJson(state, ['timeline', 'status'], target.vm)]);
  const faults = describeFaults(net, http);
  const marks = [...timelineMarks(timeline), ...faultMarks(net, http)];
  writeHtmlPage(file, doctorPage({ lab: labFacts(state), facts: path, report, probe: facts.appProbe, fix: labFix(state), trace, faults, marks, checks, generated: new Date().toISOString() }));
}

/** `imds-lab ctl … --json`-style query of the lab's control plane (run inside <lab>-host); null when it fails. */
async function ctlJson(state: LabState, words: readonly string[], vm: string): Promise<unknown> {
  const vmFlag = state.vms.length > 1 ? ['--vm', vm] : [];
  const result = await processRunner.run(['ip', 'netns', 'exec', state.namespaces.host!, ...selfCommand(), 'ctl', '--socket', state.controlSocket, ...vmFlag, ...words], { timeoutMs: 15_000 });
  if (result.code !== 0) return null;
  try {
    return JSON.parse(result.stdout) as unknown;
  } catch {
    return null;
  }
}

/**
 * run --html: records the run's connections (a capture of its own when --pcap is not given), the VM's routes
 * after CMD (no probe, so no extra traffic) and writes the page once the lab is down.
 */
export class RunHtmlRecorder {
  /** The capture: --pcap's file, or a temporary one removed after the page is written. */
  readonly pcap: string;
  private readonly temporary: boolean;
  private readonly file: string;
  private facts: { lab: LabFacts; path: PathFacts; fix: ReturnType<typeof resolveFix>; info: TraceLabInfo; stateDir: string; marks: LadderMark[] } | null = null;

  constructor(file: string, pcap: string | undefined) {
    this.file = file;
    this.temporary = pcap === undefined;
    this.pcap = pcap === undefined ? join(tmpdir(), `imds-lab-html-${process.pid}-${randomBytes(4).toString('hex')}.pcap`) : resolve(pcap);
  }

  /** After CMD, before the lab goes: the VM's routes, timeline phases and faults CMD set (as marks), and the lab's description. */
  async beforeTeardown(state: LabState, env: Readonly<Record<string, string>>): Promise<void> {
    const target = doctorTarget(state);
    const [routes, timeline, net, http] = await Promise.all([
      gatherRouteFacts(processRunner, target.namespace),
      ctlJson(state, ['timeline', 'status'], target.vm),
      ctlJson(state, ['net', 'show'], target.vm),
      ctlJson(state, ['fault', 'list'], target.vm),
      settleCapture(),
    ]);
    const lab = labFacts(state);
    this.facts = { lab, path: pathFacts(lab, target, routes, env), fix: labFix(state), info: traceLabInfo(state), stateDir: state.stateDir, marks: [...timelineMarks(timeline), ...faultMarks(net, http)] };
  }

  /** Writes the page (a failure is a warning: CMD's exit code stays the answer), then removes a temporary capture. */
  async write(command: readonly string[], exitCode: number, stderr: NodeJS.WritableStream): Promise<void> {
    try {
      if (!this.facts) return;
      const log = readOptional(`${this.pcap}.requests.log`) ?? readOptional(`${this.facts.stateDir}/responder.log`);
      const result = await traceFromPcap(this.pcap, log);
      writeHtmlPage(this.file, runPage({ command, exitCode, lab: this.facts.lab, facts: this.facts.path, fix: this.facts.fix, trace: { result, lab: this.facts.info }, marks: this.facts.marks, generated: new Date().toISOString() }));
    } catch (error) {
      stderr.write(`warning: --html ${this.file}: ${(error as Error).message}\n`);
    } finally {
      this.discard();
    }
  }

  /** Removes the temporary capture and its sidecars (nothing when --pcap named the file). */
  discard(): void {
    if (!this.temporary) return;
    for (const f of [this.pcap, `${this.pcap}.lab.json`, `${this.pcap}.requests.log`]) rmSync(f, { force: true });
  }
}
