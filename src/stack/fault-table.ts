// The net faults in effect per source (a VM's primary IP) with a default, and one seeded random stream
// per source, so a run with the same seed and the same packets makes the same fault decisions.
import { seededRandom, type Random } from '../util/seeded-random.ts';
import type { NetFaults } from './net-faults.ts';

export class FaultTable {
  private defaults: NetFaults;
  private readonly bySource: Map<number, NetFaults>;
  private readonly randoms = new Map<number, Random>();

  constructor(defaults: NetFaults, bySource: ReadonlyMap<number, NetFaults> = new Map()) {
    this.defaults = defaults;
    this.bySource = new Map([...bySource].map(([source, faults]) => [source >>> 0, faults]));
  }

  /** Replaces the faults of one source or, with `source` undefined, the default; their random streams restart. */
  set(faults: NetFaults, source?: number): void {
    if (source === undefined) {
      this.defaults = faults;
      for (const key of this.randoms.keys()) if (!this.bySource.has(key)) this.randoms.delete(key);
    } else {
      this.bySource.set(source >>> 0, faults);
      this.randoms.delete(source >>> 0);
    }
  }

  faultsFor(source: number): NetFaults {
    return this.bySource.get(source) ?? this.defaults;
  }

  /** The source's random stream, seeded with (its faults' seed XOR the source address). */
  randomFor(source: number): Random {
    let random = this.randoms.get(source);
    if (random === undefined) {
      random = seededRandom((this.faultsFor(source).seed ^ source) >>> 0);
      this.randoms.set(source, random);
    }
    return random;
  }
}
