// Socket mode's "refuse connections" (scenario S14's first phase): closes the listening socket so the
// kernel answers new SYNs with RST (clients see ECONNREFUSED), drops idle keep-alive connections, and
// listens again on the same address when the phase ends.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenerGate } from './controlled-vm.ts';
import { ControlError, CONTROL_ERROR_CODES } from './control-error.ts';

export function createListenerGate(server: http.Server): ListenerGate {
  const address = server.address() as AddressInfo | null;
  if (!address || typeof address !== 'object') {
    throw new ControlError(CONTROL_ERROR_CODES.unsupported, 'the listener gate needs a listening TCP server');
  }
  const { address: host, port } = address;
  let refusing = false;
  let pending: Promise<void> = Promise.resolve();
  const serial = (step: () => Promise<void>): Promise<void> => (pending = pending.then(step, step));
  return {
    get refusing() {
      return refusing;
    },
    refuse: () =>
      serial(async () => {
        if (refusing) return;
        refusing = true;
        if (server.listening) server.close();
        server.closeIdleConnections();
      }),
    accept: () =>
      serial(
        () =>
          new Promise<void>((resolve, reject) => {
            if (!refusing) {
              resolve();
              return;
            }
            const onError = (error: Error): void => {
              server.off('listening', onListening);
              reject(new ControlError(CONTROL_ERROR_CODES.internal, `cannot listen again on ${host}:${port}: ${error.message}`, { cause: error }));
            };
            const onListening = (): void => {
              server.off('error', onError);
              refusing = false;
              resolve();
            };
            server.once('error', onError);
            server.once('listening', onListening);
            server.listen(port, host);
          }),
      ),
  };
}
