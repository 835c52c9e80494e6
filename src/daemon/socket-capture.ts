// Socket capture (node:net) for the composition root: one VM listens with its own http.Server; several VMs
// share one listener that hands each connection to the VM whose primary IP it came from (see daemon.ts).
import net, { type AddressInfo } from 'node:net';
import type http from 'node:http';
import { ImdsLabError } from '../util/errors.ts';

export class SocketCaptureError extends ImdsLabError {}

/** Listens `server` (an http.Server or a plain net.Server) on host:port; rejects with a clear error. */
export function listenSocket(server: net.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(new SocketCaptureError(error.code ?? 'ERR_LISTEN', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Closes a listening server and every connection of the http servers given. */
export function closeServers(listener: net.Server | undefined, servers: readonly http.Server[]): Promise<void> {
  for (const server of servers) server.closeAllConnections();
  return new Promise((resolve) => {
    if (!listener || !listener.listening) {
      resolve();
      return;
    }
    listener.close(() => resolve());
    if ('closeAllConnections' in listener) (listener as http.Server).closeAllConnections();
  });
}

/** "::ffff:10.1.0.4" -> "10.1.0.4" (dual-stack listeners report IPv4 peers mapped). */
export function plainIpv4(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** A plain net.Server whose connections go to `dispatch` (several VMs behind one listener). */
export function createDispatchListener(dispatch: (socket: net.Socket) => void): net.Server {
  const listener = net.createServer({ pauseOnConnect: false }, dispatch);
  return listener;
}
