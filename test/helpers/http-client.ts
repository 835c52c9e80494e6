// One HTTP request with node:http, answer collected whole: the shared client of the tests, to a URL, to
// host/port options (e.g. a localAddress), or over any createConnection (e.g. an in-memory duplex).
import http from 'node:http';

export interface HttpReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequestOptions {
  readonly method?: string;
  /** Exactly the headers sent (node:http adds Host and Connection). */
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly body?: string | Buffer;
}

/** Sends one request (a fresh connection, no agent, unless `target` says otherwise) and reads the whole answer. */
export function httpRequest(target: string | http.RequestOptions, options: HttpRequestOptions = {}): Promise<HttpReply> {
  const request: http.RequestOptions = { agent: false, method: options.method ?? 'GET', headers: { ...options.headers } };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req = typeof target === 'string' ? http.request(target, request, onResponse) : http.request({ ...request, ...target }, onResponse);
    req.on('error', reject);
    req.end(options.body);
  });
}

/** GET `url` with `headers` (default Metadata: true). */
export function httpGet(url: string, headers: Readonly<Record<string, string>> = { Metadata: 'true' }): Promise<HttpReply> {
  return httpRequest(url, { headers });
}
