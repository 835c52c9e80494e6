// The impairment relay: two TUN devices in a relay namespace, one per direction; every packet the kernel routes
// into a TUN is read here, passed through a seeded Impairer (loss, reorder, duplicate, corrupt) and written back.
import { Impairer, type ImpairmentOptions, type ImpairmentStats } from '../../src/link/impairment.ts';
import { openTun, type TunLink, type TunStats } from '../../src/link/tun.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';

export type ImpairRelayOptions = {
  /** Namespace the two TUNs are created in. */
  netns: string;
  /** TUN carrying client-to-server packets (default 'tc2s') and server-to-client packets (default 'ts2c'). */
  forwardName?: string;
  backwardName?: string;
  forward: ImpairmentOptions;
  backward: ImpairmentOptions;
  mtu?: number;
  clock?: Clock;
};

export type ImpairRelayStats = {
  forward: ImpairmentStats;
  backward: ImpairmentStats;
  forwardTun: TunStats;
  backwardTun: TunStats;
};

/** Relays both directions through their own TUN; a packet read from a TUN is written back into the same TUN. */
export class ImpairRelay {
  readonly forwardTun: TunLink;
  readonly backwardTun: TunLink;
  private readonly forward: Impairer;
  private readonly backward: Impairer;

  constructor(options: ImpairRelayOptions) {
    const clock = options.clock ?? systemClock;
    const mtu = options.mtu ?? 1500;
    this.forwardTun = openTun({ name: options.forwardName ?? 'tc2s', netns: options.netns, mtu });
    try {
      this.backwardTun = openTun({ name: options.backwardName ?? 'ts2c', netns: options.netns, mtu });
    } catch (error) {
      this.forwardTun.close();
      throw error;
    }
    this.forward = new Impairer(options.forward, (packet) => this.forwardTun.send([packet]), clock);
    this.backward = new Impairer(options.backward, (packet) => this.backwardTun.send([packet]), clock);
  }

  /** Starts reading; the Impairers own copies because the TUN read buffer is reused. */
  start(): void {
    this.forwardTun.setReceiver((packet) => this.forward.push(packet.slice()));
    this.backwardTun.setReceiver((packet) => this.backward.push(packet.slice()));
  }

  stats(): ImpairRelayStats {
    return {
      forward: this.forward.stats(),
      backward: this.backward.stats(),
      forwardTun: this.forwardTun.stats(),
      backwardTun: this.backwardTun.stats(),
    };
  }

  close(): void {
    this.forward.close();
    this.backward.close();
    this.forwardTun.close();
    this.backwardTun.close();
  }
}
