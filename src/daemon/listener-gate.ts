// Socket mode's "refuse connections" (scenario S14's first phase) for each VM behind one listener: a refusing
// VM's new connections are reset and its idle keep-alive connections dropped; when every VM refuses, the
// listening socket closes so the kernel answers SYNs with RST (ECONNREFUSED), and it listens again on the
// same address as soon as one VM accepts again.
import type net from 'node:net';
import { ControlError, CONTROL_ERROR_CODES } from '../control/control-error.ts';
import type { ListenerGate } from '../control/controlled-vm.ts';
import type { DaemonVm } from './daemon-vm.ts';

export class ListenerGates {
  private readonly listener: net.Server;
  /** Where the listener listened (remembered when it first closes, to listen there again). */
  private address: { readonly host: string; readonly port: number } | undefined;
  private readonly vms: readonly DaemonVm[];
  private readonly refusing = new Set<DaemonVm>();
  private pending: Promise<void> = Promise.resolve();

  constructor(listener: net.Server, vms: readonly DaemonVm[]) {
    this.listener = listener;
    this.vms = vms;
  }

  /** False while `vm` refuses: the dispatcher resets its new connections. */
  admits(vm: DaemonVm): boolean {
    return !this.refusing.has(vm);
  }

  /** The control plane's gate for one VM. */
  gate(vm: DaemonVm): ListenerGate {
    const refusing = this.refusing;
    return {
      get refusing() {
        return refusing.has(vm);
      },
      refuse: () => this.serial(async () => this.refuse(vm)),
      accept: () => this.serial(() => this.accept(vm)),
    };
  }

  private serial(step: () => Promise<void>): Promise<void> {
    this.pending = this.pending.then(step, step);
    return this.pending;
  }

  private refuse(vm: DaemonVm): void {
    if (this.refusing.has(vm)) return;
    this.refusing.add(vm);
    if (this.refusing.size === this.vms.length && this.listener.listening) {
      const { address, port } = this.listener.address() as net.AddressInfo;
      this.address = { host: address, port };
      this.listener.close();
    }
    vm.server.closeIdleConnections();
  }

  private async accept(vm: DaemonVm): Promise<void> {
    if (!this.refusing.has(vm)) return;
    if (!this.listener.listening) await this.listenAgain();
    this.refusing.delete(vm);
  }

  private listenAgain(): Promise<void> {
    const { host, port } = this.address!;
    return new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        this.listener.off('listening', onListening);
        reject(new ControlError(CONTROL_ERROR_CODES.internal, `cannot listen again on ${host}:${port}: ${error.message}`, { cause: error }));
      };
      const onListening = (): void => {
        this.listener.off('error', onError);
        resolve();
      };
      this.listener.once('error', onError);
      this.listener.once('listening', onListening);
      this.listener.listen(port, host);
    });
  }
}
