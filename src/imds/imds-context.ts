// What every IMDS handler may use: the current VM profile, the clock, and per-VM service state.
// Built once per VM by the composition root (src/daemon.ts); fields are added by the handler families.
import type { VmProfile } from '../config/vm-profile.ts';
import type { Clock } from '../util/clock.ts';

export interface ImdsContext {
  /** The VM's current profile (a getter: the control plane may swap it at runtime). */
  profile(): VmProfile;
  readonly clock: Clock;
}
