// One VM of the daemon (start-daemon.ts): its profile with the command-line service overrides, IMDS context,
// fault set and HTTP server.
import type http from 'node:http';
import { deepFreeze } from '../config/deep-freeze.ts';
import { DEFAULT_PROFILE } from '../config/default-profile.ts';
import { loadProfile } from '../config/load-profile.ts';
import type { HttpFault, VmProfile } from '../config/vm-profile.ts';
import { primaryIpOf } from '../capture/primary-ip.ts';
import { HttpFaultSet } from '../http/http-faults.ts';
import type { HttpTimeouts } from '../http/http-timeouts.ts';
import { createImdsServer } from '../http/imds-server.ts';
import { createTokenIssuer } from '../imds/identity-token-issuer.ts';
import type { ImdsContext } from '../imds/imds-context.ts';
import { createRouteTable, defaultApiVersions } from '../imds/route-table.ts';
import { ScheduledEventsState } from '../imds/scheduled-events-state.ts';
import { createRateLimiter } from '../ratelimit/rate-limiter.ts';
import type { SigningMaterial } from '../signing/signing-material.ts';
import type { Clock } from '../util/clock.ts';

/** One VM of a multi-VM daemon (a lab scale set). */
export interface DaemonVmOptions {
  /** How control requests and the request log name this VM (e.g. vm0, vm1). */
  readonly name: string;
  /** A profile file (JSON or YAML), a loaded profile, or undefined for the embedded default VM. */
  readonly profile?: string | VmProfile;
}

/** One served VM: its context, faults, HTTP server and profile hook. */
export interface DaemonVm {
  readonly name: string;
  readonly context: ImdsContext;
  readonly faults: HttpFaultSet;
  readonly server: http.Server;
  readonly profileSource: string;
  /** The primary IP of the current profile (connections from it go to this VM), or undefined. */
  primaryIp(): string | undefined;
  setProfile(profile: VmProfile): void;
}

/** What a VM takes from the daemon's options (DaemonOptions in start-daemon.ts, which documents each field). */
export interface VmServiceOptions {
  /** One VM: its profile (file, loaded profile, or undefined for the embedded default). */
  readonly profile?: string | VmProfile;
  readonly rateLimit?: boolean;
  readonly serverHeader?: string | null;
  readonly faults?: readonly HttpFault[];
  readonly onUnexpectedError?: (error: unknown) => void;
  readonly httpTimeouts?: Partial<HttpTimeouts>;
}

/** Applies the command-line overrides to a profile's service settings (returns a new frozen profile). */
export function applyServiceOverrides(profile: VmProfile, options: Pick<VmServiceOptions, 'rateLimit' | 'serverHeader'>): VmProfile {
  if (options.rateLimit === undefined && options.serverHeader === undefined) return profile;
  const service = {
    ...profile.service,
    serverHeader: options.serverHeader === undefined ? profile.service.serverHeader : options.serverHeader,
    rateLimit: { ...profile.service.rateLimit, enabled: options.rateLimit ?? profile.service.rateLimit.enabled },
  };
  return deepFreeze({ ...profile, service });
}

function safePrimaryIp(profile: VmProfile): string | undefined {
  try {
    return primaryIpOf(profile);
  } catch {
    return undefined;
  }
}

/** Builds one VM: `spec` (several VMs) or options.profile (one VM); onProfile runs after each profile swap. */
export async function buildVm(
  spec: DaemonVmOptions | undefined,
  options: VmServiceOptions,
  signing: SigningMaterial,
  clock: Clock,
  onProfile: () => void,
): Promise<DaemonVm> {
  const source = spec ? spec.profile : options.profile;
  const loaded = typeof source === 'string' ? await loadProfile(source) : (source ?? DEFAULT_PROFILE);
  const profileSource = typeof source === 'string' ? source : source ? 'given profile' : 'embedded default';
  let profile = applyServiceOverrides(loaded, options);
  const context: ImdsContext = {
    profile: () => profile,
    clock,
    signing,
    tokens: createTokenIssuer({ signer: signing, clock }),
    scheduledEvents: new ScheduledEventsState(profile.scheduledEvents, clock),
  };
  const faults = new HttpFaultSet(profile.service.faults);
  for (const fault of options.faults ?? []) faults.add(fault);
  const name = spec?.name ?? String(profile.instance.compute['name'] ?? 'vm');
  const server = createImdsServer({
    routes: createRouteTable(context),
    settings: () => profile.service,
    clock,
    // Rate limits are per VM: each VM has its own limiter (keyed by its name), on IMDS time, with the numbers
    // of its current profile.
    rateLimiter: createRateLimiter(() => profile.service.rateLimit, clock),
    defaultVersions: () => defaultApiVersions(context),
    faults,
    vmName: name,
    ...(options.onUnexpectedError ? { onUnexpectedError: options.onUnexpectedError } : {}),
    ...(options.httpTimeouts ? { timeouts: options.httpTimeouts } : {}),
  });
  return {
    name,
    context,
    faults,
    server,
    profileSource,
    primaryIp: () => safePrimaryIp(profile),
    setProfile(next) {
      profile = applyServiceOverrides(next, options);
      onProfile();
    },
  };
}
