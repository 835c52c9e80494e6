// Reads and validates the lab's data files: netns/base.yaml and netns/scenarios/*.yaml (errors name the
// file and the field). The folder is found next to the sources (src/lab -> ../../netns) or the build (dist).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { childPath, isPlainObject, unknownKeys, type PlainObject } from '../util/field-reader.ts';
import { DOCTOR_CAUSES } from './doctor-analysis.ts';
import { LabError } from './lab-error.ts';
import {
  CONTAINER_POLICIES,
  DNS_MODES,
  FIX_KINDS,
  FOREIGN_KINDS,
  IPV6_MODES,
  PROXY_BEHAVIOURS,
  type BaseTopology,
  type FixKind,
  type NeighborTemplate,
  type RouteTemplate,
  type ScenarioContainer,
  type ScenarioDefinition,
  type ScenarioFix,
  type ScenarioTopology,
} from './scenario-types.ts';

/** The netns/ folder of this checkout or package. */
export function netnsDirectory(): string {
  for (const relative of ['../../netns/', '../../../netns/']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${path}base.yaml`)) return path;
  }
  throw new LabError('ERR_LAB_DATA', 'cannot find the netns/ data folder (netns/base.yaml) next to the imds-lab sources');
}

class Reader {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }
  fail(field: string, reason: string): never {
    throw new LabError('ERR_LAB_DATA', `${this.file}: ${field}: ${reason}`);
  }
  obj(value: unknown, field: string, allowed: readonly string[]): PlainObject {
    if (!isPlainObject(value)) this.fail(field, 'must be a mapping');
    const [key] = unknownKeys(value, allowed);
    if (key !== undefined) this.fail(childPath(field, key), `unknown key (known: ${allowed.join(', ')})`);
    return value;
  }
  str(value: unknown, field: string): string {
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string' || value === '') this.fail(field, 'must be a non-empty string');
    return value;
  }
  optStr(value: unknown, field: string): string | undefined {
    return value === undefined ? undefined : this.str(value, field);
  }
  int(value: unknown, field: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) this.fail(field, `must be an integer ${min}..${max}`);
    return value;
  }
  oneOf<const T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
    const text = this.str(value, field);
    if (!(allowed as readonly string[]).includes(text)) this.fail(field, `must be one of ${allowed.join(', ')}`);
    return text as T;
  }
  bool(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.fail(field, 'must be true or false');
    return value;
  }
  list(value: unknown, field: string): unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(field, 'must be a list');
    return value;
  }
  strings(value: unknown, field: string): string[] {
    return this.list(value, field).map((v, i) => this.str(v, childPath(field, i)));
  }
  stringMap(value: unknown, field: string): Record<string, string> {
    if (value === undefined) return {};
    const o = this.obj(value, field, isPlainObject(value) ? Object.keys(value) : []);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, this.str(v, childPath(field, k))]));
  }
  route(value: unknown, field: string, defaultNs: RouteTemplate['ns']): RouteTemplate {
    const o = this.obj(value, field, ['ns', 'to', 'via', 'dev', 'src', 'metric']);
    const ns = o.ns === undefined ? defaultNs : this.str(o.ns, `${field}.ns`);
    if (ns !== 'vm' && ns !== 'host' && ns !== 'proxy') this.fail(`${field}.ns`, 'must be vm, host or proxy');
    const route: { -readonly [K in keyof RouteTemplate]: RouteTemplate[K] } = { ns, to: this.str(o.to, `${field}.to`), dev: this.str(o.dev, `${field}.dev`) };
    const via = this.optStr(o.via, `${field}.via`);
    if (via !== undefined) route.via = via;
    const src = this.optStr(o.src, `${field}.src`);
    if (src !== undefined) route.src = src;
    if (o.metric !== undefined) route.metric = this.int(o.metric, `${field}.metric`, 0, 0xffffffff);
    return route;
  }
  neighbor(value: unknown, field: string): NeighborTemplate {
    const o = this.obj(value, field, ['address', 'mac', 'dev']);
    return { address: this.str(o.address, `${field}.address`), mac: this.str(o.mac, `${field}.mac`), dev: this.str(o.dev, `${field}.dev`) };
  }
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LabError('ERR_LAB_DATA', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return parse(text) as unknown;
  } catch (error) {
    throw new LabError('ERR_LAB_DATA', `${path}: not valid YAML: ${(error as Error).message}`);
  }
}

export function parseBaseTopology(document: unknown, file = 'base.yaml'): BaseTopology {
  const r = new Reader(file);
  const o = r.obj(document, 'base', ['gatewayMac', 'vm', 'host']);
  const vm = r.obj(o.vm ?? {}, 'vm', ['routes']);
  const host = r.obj(o.host ?? {}, 'host', ['sysctls']);
  return {
    gatewayMac: r.str(o.gatewayMac, 'gatewayMac'),
    vmRoutes: r.list(vm.routes, 'vm.routes').map((v, i) => r.route(v, `vm.routes[${i}]`, 'vm')),
    hostSysctls: r.stringMap(host.sysctls, 'host.sysctls'),
  };
}

function parseTopology(r: Reader, value: unknown): ScenarioTopology {
  const o = r.obj(value ?? {}, 'topology', ['nics', 'secondaryIps', 'vms', 'vm', 'clusterAdapter', 'proxy', 'dhcp', 'serve', 'env', 'dns', 'foreign', 'ipv6', 'container']);
  const vm = r.obj(o.vm ?? {}, 'topology.vm', ['removeRoutes', 'routes', 'neighbors']);
  let clusterAdapter: ScenarioTopology['clusterAdapter'] = null;
  if (o.clusterAdapter !== undefined) {
    const c = r.obj(o.clusterAdapter, 'topology.clusterAdapter', ['address', 'prefix']);
    clusterAdapter = { address: r.str(c.address, 'topology.clusterAdapter.address'), prefix: r.int(c.prefix, 'topology.clusterAdapter.prefix', 8, 30) };
  }
  let proxy: ScenarioTopology['proxy'] = null;
  if (o.proxy !== undefined) {
    const p = r.obj(o.proxy, 'topology.proxy', ['port', 'forwardedFor', 'vm', 'behaviour']);
    proxy = { port: r.int(p.port, 'topology.proxy.port', 1, 65535), forwardedFor: r.bool(p.forwardedFor ?? true, 'topology.proxy.forwardedFor') };
    if (p.vm !== undefined) proxy = { ...proxy, vm: r.int(p.vm, 'topology.proxy.vm', 1, 15) };
    if (p.behaviour !== undefined) proxy = { ...proxy, behaviour: r.oneOf(p.behaviour, 'topology.proxy.behaviour', PROXY_BEHAVIOURS) };
  }
  let dhcp: ScenarioTopology['dhcp'] = null;
  if (o.dhcp !== undefined) {
    const d = r.obj(o.dhcp, 'topology.dhcp', ['routes']);
    dhcp = { routes: r.strings(d.routes, 'topology.dhcp.routes') };
  }
  const serve = r.obj(o.serve ?? {}, 'topology.serve', ['faults', 'rateLimit']);
  return {
    nics: o.nics === undefined ? 1 : r.int(o.nics, 'topology.nics', 1, 4),
    secondaryIps: o.secondaryIps === undefined ? 1 : r.int(o.secondaryIps, 'topology.secondaryIps', 1, 8),
    vms: o.vms === undefined ? 1 : r.int(o.vms, 'topology.vms', 1, 16),
    removeRoutes: r.strings(vm.removeRoutes, 'topology.vm.removeRoutes'),
    routes: r.list(vm.routes, 'topology.vm.routes').map((v, i) => r.route(v, `topology.vm.routes[${i}]`, 'vm')),
    neighbors: r.list(vm.neighbors, 'topology.vm.neighbors').map((v, i) => r.neighbor(v, `topology.vm.neighbors[${i}]`)),
    clusterAdapter,
    proxy,
    dhcp,
    serve: {
      faults: r.strings(serve.faults, 'topology.serve.faults'),
      rateLimit: serve.rateLimit === undefined ? true : r.bool(serve.rateLimit, 'topology.serve.rateLimit'),
    },
    env: r.stringMap(o.env, 'topology.env'),
    dns: o.dns === undefined ? 'azure' : r.oneOf(o.dns, 'topology.dns', DNS_MODES),
    foreign: parseForeign(r, o.foreign),
    ipv6: o.ipv6 === undefined ? 'none' : r.oneOf(o.ipv6, 'topology.ipv6', IPV6_MODES),
    container: o.container === undefined ? null : { snat: true, policy: 'none', allowImds: false, agent: false, ...parseContainer(r, o.container, 'topology.container') },
  };
}

function parseContainer(r: Reader, value: unknown, where: string): Partial<ScenarioContainer> {
  const c = r.obj(value ?? {}, where, ['snat', 'policy', 'allowImds', 'agent']);
  const out: { -readonly [K in keyof ScenarioContainer]?: ScenarioContainer[K] } = {};
  if (c.snat !== undefined) out.snat = r.bool(c.snat, `${where}.snat`);
  if (c.policy !== undefined) out.policy = r.oneOf(c.policy, `${where}.policy`, CONTAINER_POLICIES);
  if (c.allowImds !== undefined) out.allowImds = r.bool(c.allowImds, `${where}.allowImds`);
  if (c.agent !== undefined) out.agent = r.bool(c.agent, `${where}.agent`);
  return out;
}

function parseForeign(r: Reader, value: unknown): ScenarioTopology['foreign'] {
  if (value === undefined) return null;
  const f = r.obj(value, 'topology.foreign', ['kind', 'port']);
  return { kind: r.oneOf(f.kind, 'topology.foreign.kind', FOREIGN_KINDS), port: f.port === undefined ? 8080 : r.int(f.port, 'topology.foreign.port', 1, 65535) };
}

function parseFix(r: Reader, value: unknown): ScenarioFix {
  const o = r.obj(value ?? {}, 'fixed', ['routes', 'env', 'dns', 'removeForeign', 'ipv6', 'container']);
  const fix: { -readonly [K in keyof ScenarioFix]: ScenarioFix[K] } = {
    routes: r.list(o.routes, 'fixed.routes').map((v, i) => r.route(v, `fixed.routes[${i}]`, 'vm')),
    env: r.stringMap(o.env, 'fixed.env'),
  };
  if (o.dns !== undefined) fix.dns = r.oneOf(o.dns, 'fixed.dns', DNS_MODES);
  if (o.removeForeign !== undefined) fix.removeForeign = r.bool(o.removeForeign, 'fixed.removeForeign');
  if (o.ipv6 !== undefined) fix.ipv6 = r.oneOf(o.ipv6, 'fixed.ipv6', IPV6_MODES);
  if (o.container !== undefined) fix.container = parseContainer(r, o.container, 'fixed.container');
  return fix;
}

export function parseScenario(document: unknown, file: string): ScenarioDefinition {
  const r = new Reader(file);
  const o = r.obj(document, 'scenario', [
    'name', 'title', 'reports', 'symptom', 'explanation', 'fix', 'fixKind', 'expect', 'doctor', 'topology', 'fixed',
  ]);
  const name = r.str(o.name, 'name');
  if (!/^[a-z][a-z0-9-]*$/.test(name)) r.fail('name', 'must be lower-case letters, digits and dashes');
  const fixKind = r.str(o.fixKind, 'fixKind');
  if (!(FIX_KINDS as readonly string[]).includes(fixKind)) r.fail('fixKind', `must be one of ${FIX_KINDS.join(', ')}`);
  const expect = r.obj(o.expect, 'expect', ['broken', 'fixed']);
  const doctor = r.obj(o.doctor, 'doctor', ['broken']);
  const doctorCause = r.str(doctor.broken, 'doctor.broken');
  if (!(DOCTOR_CAUSES as readonly string[]).includes(doctorCause)) {
    r.fail('doctor.broken', `must be one of ${DOCTOR_CAUSES.join(', ')}`);
  }
  return {
    name,
    title: r.str(o.title, 'title'),
    reports: r.strings(o.reports, 'reports'),
    symptom: r.str(o.symptom, 'symptom'),
    explanation: r.str(o.explanation, 'explanation'),
    fix: r.str(o.fix, 'fix'),
    fixKind: fixKind as FixKind,
    expect: { broken: r.str(expect.broken, 'expect.broken'), fixed: r.str(expect.fixed, 'expect.fixed') },
    doctorCause,
    topology: parseTopology(r, o.topology),
    fixed: parseFix(r, o.fixed),
  };
}

export function loadBaseTopology(directory = netnsDirectory()): BaseTopology {
  return parseBaseTopology(readYaml(`${directory}base.yaml`), `${directory}base.yaml`);
}

/** Every scenario under netns/scenarios/, sorted with healthy first, then by name. */
export function loadScenarios(directory = netnsDirectory()): ScenarioDefinition[] {
  const folder = `${directory}scenarios/`;
  const files = readdirSync(folder).filter((f) => f.endsWith('.yaml')).sort();
  const scenarios = files.map((f) => {
    const scenario = parseScenario(readYaml(folder + f), folder + f);
    if (`${scenario.name}.yaml` !== f) throw new LabError('ERR_LAB_DATA', `${folder + f}: name ${scenario.name} must match the file name`);
    return scenario;
  });
  return scenarios.sort((a, b) => (a.name === 'healthy' ? -1 : b.name === 'healthy' ? 1 : a.name.localeCompare(b.name)));
}

export function findScenario(name: string, directory = netnsDirectory()): ScenarioDefinition {
  const all = loadScenarios(directory);
  const found = all.find((s) => s.name === name);
  if (!found) throw new LabError('ERR_LAB_SCENARIO', `unknown scenario ${JSON.stringify(name)} (known: ${all.map((s) => s.name).join(', ')})`);
  return found;
}
