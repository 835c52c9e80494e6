// The I/O of the HTML view for the CLI commands (doctor/trace/run --html): read a lab's capture and
// responder log, load the scenario's fix, write the page. Everything pure lives in src/view/.
import { readFileSync, writeFileSync } from 'node:fs';
import type { DoctorFacts, DoctorReport } from '../lab/doctor-analysis.ts';
import type { DoctorTarget } from '../lab/doctor-facts.ts';
import { findScenario } from '../lab/lab-data-files.ts';
import { readPcap } from '../lab/pcap-read.ts';
import type { LabState } from '../lab/lab-state.ts';
import { analyzeTrace, parseRequestLog, type TraceResult } from '../lab/trace-analysis.ts';
import type { TraceLabInfo } from '../lab/trace-format.ts';
import { doctorPage, pathFacts, resolveFix, type LabFacts } from '../view/lab-pages.ts';
import { renderPage, type PageModel } from '../view/page-html.ts';

export const HTML_FLAG = { html: { type: 'string' } } as const;

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
export async function writeDoctorHtml(file: string, state: LabState, target: DoctorTarget, facts: DoctorFacts, report: DoctorReport): Promise<void> {
  const trace = state.pcapFile ? { result: await traceFromPcap(state.pcapFile, readOptional(`${state.stateDir}/responder.log`)), lab: traceLabInfo(state) } : null;
  const path = pathFacts(labFacts(state), { namespace: target.namespace, primary: target.primary }, facts, facts.env);
  writeHtmlPage(file, doctorPage({ lab: labFacts(state), facts: path, report, probe: facts.appProbe, fix: labFix(state), trace, generated: new Date().toISOString() }));
}
