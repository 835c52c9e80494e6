// Sends HTTP requests to a node:http Server over an in-memory duplex pair (no sockets, no ports).
import http from 'node:http';
import type { Server } from 'node:http';
import { duplexPair, type PairedSocket } from './duplex-pair.ts';

export interface DuplexResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface DuplexRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
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
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        createConnection: () => socket,
        method: options.method ?? 'GET',
        path,
        headers: { Host: '169.254.169.254', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
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
