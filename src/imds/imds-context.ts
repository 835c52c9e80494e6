// What every IMDS handler may use: the current VM profile, the clock, and per-VM service state.
// Built once per VM by the composition root (src/daemon/daemon-vm.ts); fields are added by the handler families.
import type { VmProfile } from '../config/vm-profile.ts';
import type { Clock } from '../util/clock.ts';
import type { SigningMaterial } from '../signing/signing-material.ts';
import type { TokenIssuer } from './identity-token-issuer.ts';
import type { ScheduledEventsState } from './scheduled-events-state.ts';

export interface ImdsContext {
  /** The VM's current profile (a getter: the control plane may swap it at runtime). */
  profile(): VmProfile;
  readonly clock: Clock;
  /** Emulator PKI: signs attested documents and tokens (loadSigningMaterial in src/signing/signing-material.ts). */
  readonly signing: SigningMaterial;
  /** Managed-identity token cache (createTokenIssuer in src/imds/identity-token-issuer.ts). */
  readonly tokens: TokenIssuer;
  /** Scheduled events and DocumentIncarnation of this VM (src/imds/scheduled-events-state.ts). */
  readonly scheduledEvents: ScheduledEventsState;
}
