// Namespace e2e helpers for IMDS: start `imds-lab serve` (socket or TUN) in the host namespace and run
// unmodified clients (curl, Node, Python) in the client namespace, all through argv arrays.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execIn, stopChild, waitForOutput, type ExecResult, type Topology } from './netns.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const LOAD_CLIENT = fileURLToPath(new URL('../../scripts/load-client.mjs', import.meta.url));
export const IMDS_URL = 'http://169.254.169.254';

export interface Served {
  readonly child: ChildProcess;
  /** Output so far (ready line, errors). */
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `imds-lab serve ARGS` in `ns` and waits for its ready line. */
export async function startServe(topo: Topology, ns: string, args: readonly string[]): Promise<Served> {
  const child = topo.spawnIn(ns, [process.execPath, '--import', 'tsx', MAIN, 'serve', ...args]);
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  try {
    await waitForOutput(child, (t) => t.includes('serving on'), 30_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { child, output: () => text, stop: () => stopChild(child) };
}

export function curl(ns: string, url: string, extra: readonly string[] = [], timeoutMs = 30_000): Promise<ExecResult> {
  return execIn(ns, ['curl', '-sS', '--noproxy', '*', '-H', 'Metadata: true', ...extra, url], { timeoutMs });
}

/** Node client: GET each URL with Metadata: true; returns [{status, contentType, body}] decoded. */
export async function nodeFetch(ns: string, urls: readonly string[]): Promise<{ status: number; contentType: string; body: Buffer }[]> {
  const r = await execIn(ns, [process.execPath, LOAD_CLIENT, 'fetch', '--header', 'Metadata: true', ...urls]);
  if (r.code !== 0) throw new Error(`node client failed (${r.code}): ${r.stderr.toString()}`);
  return (JSON.parse(r.stdout.toString()) as { status: number; contentType: string; body: string }[]).map((x) => ({ ...x, body: Buffer.from(x.body, 'base64') }));
}

const PYTHON_CLIENT = `
import sys, urllib.request, urllib.error
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for url in sys.argv[1:]:
    req = urllib.request.Request(url, headers={'Metadata': 'true'})
    try:
        r = opener.open(req, timeout=10)
        status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    sys.stdout.buffer.write(b'%d %d\\n' % (status, len(body)) + body + b'\\n')
`;

/** Python urllib client (proxies bypassed as the docs say): "STATUS LEN\\nBODY\\n" per URL. */
export function pythonFetch(ns: string, urls: readonly string[]): Promise<ExecResult> {
  return execIn(ns, ['python3', '-c', PYTHON_CLIENT, ...urls]);
}

export interface LoadResult {
  ok: number;
  failed: number;
  mismatched: number;
  /** Why responses did not match, by reason (`status 408`, `body of N bytes differs`). */
  mismatches: Record<string, number>;
  errors: Record<string, number>;
  durationMs: number;
  rps: number;
  p50: number;
  p99: number;
}

export async function runLoad(
  ns: string,
  options: { url: string; total: number; concurrency: number; keepalive?: boolean; expect?: Buffer; timeoutMs?: number },
): Promise<LoadResult> {
  const argv = [process.execPath, LOAD_CLIENT, 'load', '--url', options.url, '--total', String(options.total), '--concurrency', String(options.concurrency), '--header', 'Metadata: true'];
  if (options.keepalive) argv.push('--keepalive');
  if (options.expect) argv.push('--expect-base64', options.expect.toString('base64'));
  if (options.timeoutMs) argv.push('--timeout', String(options.timeoutMs));
  const r = await execIn(ns, argv, { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`load client failed (${r.code}): ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as LoadResult;
}
