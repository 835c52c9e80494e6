// The lab's personas: small servers that answer the way real non-IMDS things do (S5, S7, S8 in
// scenarios.md): Docker Desktop's 403, an HTML page, an HTTP/1.0 server closing without a body, TLS on port 80,
// proxies refusing with 400 or 502, the lab's CA Issuers server (the issuing CA as DER, RFC 5280 §4.2.2.1), and a
// node-local pod identity agent (S9: aad-pod-identity's NMI, reached by DNAT: tokens refused, the rest proxied to IMDS).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { IMDS_ADDRESS } from '../util/ipv4-address.ts';
import { LabError } from './lab-error.ts';

export const PERSONA_KINDS = ['ca-issuers', 'docker-desktop', 'foreign-html', 'http10-close', 'tls-only', 'proxy-refuse', 'proxy-bad-gateway', 'pod-identity-agent'] as const;
export type PersonaKind = (typeof PERSONA_KINDS)[number];

/** Docker Desktop's answer for 169.254.169.254 (Azure/azure-sdk-for-net#38218): the SDKs match on this sentence. */
export const DOCKER_DESKTOP_MESSAGE =
  'connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.';

/** What a local VPN proxy answered in Azure/azure-sdk-for-python#24458. */
export function proxyRefusal(host: string): string {
  return `Fail to directly connect with ${host}`;
}

export const FOREIGN_HTML =
  '<!DOCTYPE html>\n<html><head><title>Network login required</title></head>\n<body><h1>Sign in to continue</h1><p>This network requires you to sign in before you can use it.</p></body></html>\n';

/** What NMI answers (404) for a pod with no identity assigned (Azure/aad-pod-identity#585, #678); real NMI retries ~100 s first. */
export const NMI_NO_IDENTITY = 'getting assigned identities for pod default/app in ASSIGNED state failed after 20 attempts, retry duration [5]s. Error: <nil>';

/** NMI's pass-through: any other path goes to IMDS unchanged (from the node, so IMDS sees the node's primary IP). */
function proxyToImds(req: IncomingMessage, res: ServerResponse, done: (status: number) => void): void {
  const upstream = httpRequest({ host: IMDS_ADDRESS, port: 80, method: req.method, path: req.url, headers: req.headers, timeout: 10_000 }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
    done(answer.statusCode ?? 502);
  });
  upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
  upstream.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${error.message}\n`);
    done(502);
  });
  req.pipe(upstream);
}

export interface PersonaOptions {
  readonly kind: PersonaKind;
  readonly host: string;
  readonly port: number;
  /** The responder's state directory (its PKI: pki/issuing-ca.cert.pem and .key.pem). */
  readonly stateDir: string;
  /** One line per request (for the persona's log). */
  readonly log?: (line: string) => void;
}

/** The CA Issuers request path, tolerating what IMDSSample.py sends: the URI copied with its trailing newline (%0A). */
export function caIssuersPathMatches(rawPath: string): boolean {
  let path: string;
  try {
    path = decodeURIComponent(rawPath.split('?')[0]!);
  } catch {
    return false;
  }
  return /^\/pki\/[^/]+\.crt$/.test(path.replace(/\s+$/, ''));
}

/** Reads the request head (up to the blank line) and calls `answer` once with the request line. */
function onRequestHead(socket: Socket, answer: (requestLine: string) => void): void {
  let head = '';
  let answered = false;
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    if (answered) return;
    head += chunk.toString('latin1');
    if (head.includes('\r\n\r\n') || head.includes('\n\n') || head.length > 65536) {
      answered = true;
      answer(head.split(/\r?\n/)[0] ?? '');
    }
  });
}

/** A raw HTTP answer: exactly these bytes, then the server closes (HTTP/1.0 style: the body ends at the close). */
function rawServer(log: (line: string) => void, respond: (requestLine: string) => string): Server {
  return createNetServer((socket) => {
    onRequestHead(socket, (requestLine) => {
      const response = respond(requestLine);
      log(`${requestLine} -> ${response.split('\r\n')[0]}`);
      socket.end(response);
    });
  });
}

function targetHost(requestLine: string): string {
  const target = requestLine.split(' ')[1] ?? '';
  const m = /^[a-z]+:\/\/([^/:]+)/i.exec(target) ?? /^([^/:]+):\d+$/.exec(target);
  return m?.[1] ?? IMDS_ADDRESS;
}

function pkiFile(stateDir: string, name: string): string {
  const path = `${stateDir}/pki/${name}`;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new LabError('ERR_LAB_PERSONA', `cannot read ${path} (the responder creates the PKI): ${(error as Error).message}`);
  }
}

function createPersona(o: PersonaOptions, log: (line: string) => void): Server {
  switch (o.kind) {
    case 'ca-issuers':
      return createHttpServer((req, res) => {
        const ok = req.method === 'GET' && caIssuersPathMatches(req.url ?? '/');
        log(`${req.method} ${JSON.stringify(req.url)} -> ${ok ? 200 : 404}`);
        if (!ok) {
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
          return;
        }
        // Read per request: the PKI renews certificates in place.
        const der = new X509Certificate(pkiFile(o.stateDir, 'issuing-ca.cert.pem')).raw;
        res.writeHead(200, { 'Content-Type': 'application/pkix-cert', 'Content-Length': der.length }).end(der);
      });
    case 'docker-desktop':
      return rawServer(log, () => `HTTP/1.0 403 ${DOCKER_DESKTOP_MESSAGE}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${DOCKER_DESKTOP_MESSAGE}`);
    case 'foreign-html':
      return rawServer(
        log,
        () => `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(FOREIGN_HTML)}\r\nConnection: close\r\n\r\n${FOREIGN_HTML}`,
      );
    case 'http10-close':
      return rawServer(log, () => 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n');
    case 'tls-only': {
      // Port 80 speaks TLS: a plain-HTTP client's first bytes are not a ClientHello, so the handshake fails.
      const server = createTlsServer({ key: pkiFile(o.stateDir, 'issuing-ca.key.pem'), cert: pkiFile(o.stateDir, 'issuing-ca.cert.pem') }, (socket) => {
        socket.on('error', () => socket.destroy());
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      });
      server.on('tlsClientError', (error) => log(`TLS handshake failed: ${error.message}`));
      return server;
    }
    case 'proxy-refuse':
      return rawServer(log, (line) => {
        const text = proxyRefusal(targetHost(line));
        return `HTTP/1.0 400 ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${text}`;
      });
    case 'proxy-bad-gateway':
      return rawServer(log, (line) => {
        const body = `<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The proxy could not reach ${targetHost(line)}.</p></body></html>\n`;
        return `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
      });
    case 'pod-identity-agent':
      return createHttpServer((req, res) => {
        const url = new URL(req.url ?? '/', `http://${IMDS_ADDRESS}`);
        const line = (status: number): void => log(`${req.method} ${url.pathname} from ${req.socket.remoteAddress} -> ${status}`);
        if (url.pathname.replace(/\/+$/, '') !== '/metadata/identity/oauth2/token') {
          proxyToImds(req, res, line);
          return;
        }
        // As Go's http.Error: text/plain, nosniff, the message and a newline.
        const [status, text] = url.searchParams.get('resource') ? [404, NMI_NO_IDENTITY] : [400, 'parameter resource cannot be empty'];
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(`${text}\n`);
        line(status);
      });
  }
}

/** Starts the persona; resolves once it listens. */
export function startPersona(o: PersonaOptions): Promise<Server> {
  const log = o.log ?? (() => {});
  const server = createPersona(o, log);
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new LabError('ERR_LAB_PERSONA', `persona ${o.kind} cannot listen on ${o.host}:${o.port}: ${error.message}`)));
    server.listen(o.port, o.host, () => resolve(server));
  });
}
