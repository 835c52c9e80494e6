// The IMDS handler path against a bare node:http server sending the same bytes and headers (issue 14): wrk on
// loopback, keep-alive and a new connection per request, for the instance document, a format=text leaf and a
// token; the two servers are measured alternately in one run and the ratios printed. No namespaces needed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const BARE = fileURLToPath(new URL('./bench-bare-server.mjs', import.meta.url));
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
/** Which connection modes to run: `keep-alive`, `new` (a new connection per request) or both (default). */
const MODES = (process.env['BENCH_MODES'] ?? 'keep-alive,new').split(',').map((m) => m.trim());
/** Extra node flags for the serve process, e.g. BENCH_SERVE_NODE_ARGS=--cpu-prof (profiles land in the cwd). */
const SERVE_NODE_ARGS = (process.env['BENCH_SERVE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);

const CASES = [
  { name: 'instance document', target: '/metadata/instance?api-version=2021-02-01' },
  { name: 'leaf, format=text', target: '/metadata/instance/compute/vmId?api-version=2021-02-01&format=text' },
  { name: 'token', target: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F' },
] as const;

interface Server {
  readonly child: ChildProcess;
  readonly port: number;
}

function startServer(argv: readonly string[], ready: RegExp): Promise<Server> {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line from ${argv.join(' ')}: ${text}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const m = ready.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${text}`)));
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}

function fetchRaw(port: number, target: string): Promise<{ status: number; headers: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: target, headers: { Metadata: 'true' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          // The same header lines minus those node:http writes itself (Date, Connection, Keep-Alive).
          const headers: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            if (!/^(date|connection|keep-alive)$/i.test(res.rawHeaders[i]!)) headers.push(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          }
          resolve({ status: res.statusCode!, headers, body: Buffer.concat(chunks) });
        });
      })
      .on('error', reject);
  });
}

/** utime + stime in microseconds (/proc/PID/stat fields 14, 15; 10 ms ticks). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Run {
  rps: number;
  cpuUsPerRequest: number;
}

function wrk(server: Server, target: string, newConnection: boolean): Run {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '-H', 'Metadata: true'];
  if (newConnection) args.push('-H', 'Connection: close');
  const cpu0 = cpuUs(server.child.pid!);
  const out = spawnSync('wrk', [...args, `http://127.0.0.1:${server.port}${target}`], { encoding: 'utf8' });
  const cpu1 = cpuUs(server.child.pid!);
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out.stdout)?.[1]);
  if (/Non-2xx/.test(out.stdout) || /Socket errors: connect [1-9]/.test(out.stdout)) throw new Error(`wrk saw errors:\n${out.stdout}`);
  return { rps, cpuUsPerRequest: (cpu1 - cpu0) / total };
}

async function main(): Promise<void> {
  if (spawnSync('wrk', ['--version']).error) {
    console.error('bench-handler: needs wrk (Debian: apt-get install -y wrk)');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'imds-bench-handler-'));
  const servers: Server[] = [];
  try {
    const serve = await startServer(
      [...SERVE_NODE_ARGS, '--import', 'tsx', MAIN, 'serve', '--listen', '127.0.0.1:0', '--no-rate-limit', '--state-dir', join(dir, 'state')],
      /serving on http:\/\/127\.0\.0\.1:(\d+)/,
    );
    servers.push(serve);
    const captured = [];
    for (const c of CASES) {
      const r = await fetchRaw(serve.port, c.target);
      if (r.status !== 200) throw new Error(`${c.name}: serve answered ${r.status}: ${r.body.toString()}`);
      captured.push({ target: c.target, status: r.status, headers: r.headers, body: r.body.toString('base64') });
    }
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(captured));
    const bare = await startServer([BARE, join(dir, 'cases.json')], /bare serving on http:\/\/127\.0\.0\.1:(\d+)/);
    servers.push(bare);
    // Warm-up (JIT, token signing): BENCH_SECONDS per case, server and connection mode. serve has far more code to
    // optimise than the bare server; a 1 s warm-up left its first measured round 2-4x slower.
    for (const c of CASES) for (const s of servers) for (const m of MODES) wrk(s, c.target, m === 'new');

    console.log(`wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} rounds alternating serve / bare; medians of the rounds`);
    console.log('case | connection | serve req/s | bare req/s | ratio (per round) | serve CPU µs/req | bare CPU µs/req | CPU ratio bare/serve (per round)');
    for (const c of CASES) {
      for (const newConnection of [false, true]) {
        if (!MODES.includes(newConnection ? 'new' : 'keep-alive')) continue;
        const ours: Run[] = [];
        const base: Run[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // Which server goes first alternates too, so neither always follows the other's TIME-WAIT sockets.
          if (round % 2 === 0) {
            ours.push(wrk(serve, c.target, newConnection));
            base.push(wrk(bare, c.target, newConnection));
          } else {
            base.push(wrk(bare, c.target, newConnection));
            ours.push(wrk(serve, c.target, newConnection));
          }
        }
        const rpsRatios = ours.map((r, i) => r.rps / base[i]!.rps);
        const cpuRatios = ours.map((r, i) => base[i]!.cpuUsPerRequest / r.cpuUsPerRequest);
        const rounds = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join('/');
        console.log(
          [c.name, newConnection ? 'new' : 'keep-alive', median(ours.map((r) => r.rps)).toFixed(0), median(base.map((r) => r.rps)).toFixed(0),
            `${median(rpsRatios).toFixed(2)} (${rounds(rpsRatios)})`, median(ours.map((r) => r.cpuUsPerRequest)).toFixed(1),
            median(base.map((r) => r.cpuUsPerRequest)).toFixed(1), `${median(cpuRatios).toFixed(2)} (${rounds(cpuRatios)})`].join(' | '),
        );
      }
    }
  } finally {
    for (const s of servers) await stop(s);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
