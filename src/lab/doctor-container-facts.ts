// Gathers the doctor's facts about the container's path (S9): routes in <name>-ctr, the VM's route back to it
// and onwards to 169.254.169.254, the VM's nftables ruleset and listeners, and probes from the container.
import type { ContainerFacts, ListenerFact } from './doctor-container-analysis.ts';
import { gatherNftRuleset, gatherRouteFacts, gatherRouteGet, probeImds } from './doctor-facts.ts';
import { IMDS_ADDRESS } from '../util/ipv4-address.ts';
import type { LabRunner } from '../process/lab-runner.ts';
import type { LabState } from './lab-state.ts';

/** A managed-identity token request for Azure Resource Manager, as an SDK's credential sends it. */
export const TOKEN_PROBE_URL = `http://${IMDS_ADDRESS}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F`;

/** `ss -Htlnp` lines: `LISTEN 0 511 172.17.0.1:2579 0.0.0.0:* users:(("node",pid=12252,fd=18))`. */
export function parseListeners(text: string): Omit<ListenerFact, 'cmdline'>[] {
  const out: Omit<ListenerFact, 'cmdline'>[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    if (!local) continue;
    const m = /^(.*):(\d+)$/.exec(local);
    if (!m) continue;
    const user = /users:\(\("([^"]*)",pid=(\d+)/.exec(line);
    out.push({ address: m[1]!.replace(/%\S+$/, ''), port: Number(m[2]), process: user?.[1] ?? '?', pid: user ? Number(user[2]) : null });
  }
  return out;
}

/** The container's facts, or null when the lab has none. `env` is what programs in the container see (as exec --container). */
export async function gatherContainerFacts(runner: LabRunner, state: LabState, vmNamespace: string, env: Readonly<Record<string, string>>): Promise<ContainerFacts | null> {
  const ctr = state.namespaces.ctr;
  if (ctr === undefined) return null;
  const [routes, probe, tokenProbe, ruleset, ss] = await Promise.all([
    gatherRouteFacts(runner, ctr),
    probeImds(runner, ctr, env, { bypassProxy: false, timeoutSeconds: 2 }),
    probeImds(runner, ctr, env, { bypassProxy: false, timeoutSeconds: 2, url: TOKEN_PROBE_URL }),
    gatherNftRuleset(runner, vmNamespace),
    runner.run(['ip', 'netns', 'exec', vmNamespace, 'ss', '-Htlnp']),
  ]);
  const address = state.vars['container.ip'] ?? (routes.routeGet.ok ? (routes.routeGet.route.prefsrc ?? '') : '');
  const bridge = await gatherRouteGet(runner, vmNamespace, [address]);
  const forwardRoute = bridge.ok ? await gatherRouteGet(runner, vmNamespace, [IMDS_ADDRESS, 'from', address, 'iif', bridge.route.dev]) : bridge;
  const listeners = parseListeners(ss.stdout).map((l) => ({
    ...l,
    cmdline: l.pid !== null ? (runner.readFile(`/proc/${l.pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ') : '',
  }));
  return {
    namespace: ctr,
    address,
    routeGet: routes.routeGet,
    routes: routes.routes,
    bridge,
    forwardRoute,
    ruleset,
    listeners,
    probe,
    // A 200 carries a token: keep the status, not the credential.
    tokenProbe: tokenProbe.status === 200 ? { ...tokenProbe, body: '' } : tokenProbe,
  };
}
