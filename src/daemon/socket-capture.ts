// Socket capture (node:net, kernel TCP): one VM listens with its own http.Server; several VMs share one
// listener that hands each connection to the VM whose primary IP it came from. "Refuse" per VM: listener-gate.ts.
import net from 'node:net';
import type http from 'node:http';
import { ImdsLabError } from '../util/errors.ts';
import { vmForSource, type Capture, type CaptureTarget } from './capture.ts';
import { ListenerGates } from './listener-gate.ts';

export class SocketCaptureError extends ImdsLabError {}

export async function startSocketCapture(target: CaptureTarget): Promise<Capture> {
  const { vms } = target;
  const dispatch = (socket: net.Socket): void => {
    const vm = vmForSource(vms, socket.remoteAddress);
    if (gates.admits(vm)) vm.server.emit('connection', socket);
    else socket.resetAndDestroy();
  };
  const listener: net.Server = vms.length === 1 ? vms[0]!.server : net.createServer({ pauseOnConnect: false }, dispatch);
  const gates = new ListenerGates(listener, vms);
  const bound = await listenSocket(listener, target.listen.host, target.listen.port);
  const address = { host: bound.address, port: bound.port };
  return {
    mode: 'socket',
    address,
    controlPort: (vm) => ({ listener: gates.gate(vm) }),
    profileChanged: () => {},
    close: () => closeServers(listener, vms.map((vm) => vm.server)),
  };
}

/** Listens `server` (an http.Server or a plain net.Server) on host:port; rejects with a clear error. */
function listenSocket(server: net.Server, host: string, port: number): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(new SocketCaptureError(error.code ?? 'ERR_LISTEN', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(server.address() as net.AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Closes the listening server and every connection of the http servers given. */
function closeServers(listener: net.Server, servers: readonly http.Server[]): Promise<void> {
  for (const server of servers) server.closeAllConnections();
  return new Promise((resolve) => {
    if (!listener.listening) {
      resolve();
      return;
    }
    listener.close(() => resolve());
  });
}
