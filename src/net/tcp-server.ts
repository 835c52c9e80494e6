// TcpServer: hands each established userspace-TCP connection to a callback as a TcpSocket
// (the daemon does httpServer.emit('connection', socket)), and tracks open sockets for shutdown.
import type { StackConnection } from '../stack/stack-connection.ts';
import type { TcpStack } from '../stack/tcp-stack.ts';
import type { Clock } from '../util/clock.ts';
import { TcpSocket, type TcpSocketOptions } from './tcp-socket.ts';

export interface TcpServerOptions extends Omit<TcpSocketOptions, 'clock'> {
  readonly clock: Clock;
}

export class TcpServer {
  private readonly stack: TcpStack;
  private readonly options: TcpServerOptions;
  private readonly sockets = new Set<TcpSocket>();
  private listening = true;

  constructor(stack: TcpStack, onConnection: (socket: TcpSocket) => void, options: TcpServerOptions) {
    this.stack = stack;
    this.options = options;
    stack.setConnectionHandler((connection: StackConnection) => {
      const socket = new TcpSocket(connection, this.options);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      onConnection(socket);
    });
  }

  /** Sockets not yet closed. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  get isListening(): boolean {
    return this.listening;
  }

  /** Stops accepting; existing sockets stay until they close (or `destroyAll`). */
  close(options: { destroyAll?: boolean } = {}): void {
    this.listening = false;
    this.stack.setConnectionHandler((connection) => connection.abort());
    if (options.destroyAll) for (const socket of [...this.sockets]) socket.destroy();
  }
}
