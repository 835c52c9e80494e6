// Sends HTTP requests to a node:http Server over an in-memory duplex pair (no sockets, no ports).
import type { Server } from 'node:http';
import { duplexPair, type PairedSocket } from './duplex-pair.ts';
import { httpRequest, type HttpReply, type HttpRequestOptions } from './http-client.ts';

export type DuplexResponse = HttpReply;

export interface DuplexRequestOptions extends HttpRequestOptions {
  readonly remoteAddress?: string;
}

/** Opens a fresh connection to `server` (as a client at remoteAddress). */
export function connect(server: Server, remoteAddress = '10.1.0.4'): PairedSocket {
  const pair = duplexPair({ address: remoteAddress, port: 40000 + Math.floor(Math.random() * 20000) });
  server.emit('connection', pair.server);
  return pair.client;
}

/** One request on `socket` (a connection from connect()); resolves with the whole response. */
export function requestOn(socket: PairedSocket, path: string, options: DuplexRequestOptions = {}): Promise<DuplexResponse> {
  return httpRequest({ createConnection: () => socket, path, agent: undefined /* no agent: createConnection is used */ }, { ...options, headers: { Host: '169.254.169.254', ...options.headers } });
}

/** One request on a new connection, which is closed afterwards. */
export async function duplexRequest(server: Server, path: string, options: DuplexRequestOptions = {}): Promise<DuplexResponse> {
  const socket = connect(server, options.remoteAddress);
  try {
    return await requestOn(socket, path, options);
  } finally {
    socket.destroy();
  }
}
