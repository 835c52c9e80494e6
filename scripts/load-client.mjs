// IMDS HTTP client and load generator run inside a client namespace (netns tests and scripts/bench.ts).
//   fetch URL [URL...] [--header K:V]      -> JSON [{status, contentType, body(base64)}]
//   load --url U --total N --concurrency C [--keepalive] [--header K:V] [--expect-base64 B] [--timeout MS]
//                                          -> JSON {ok, failed, mismatched, errors, durationMs, rps, p50, p99}
//   idle --host H --port P --count N       -> opens N idle TCP connections, prints "ready N", holds until SIGTERM
import http from 'node:http';
import net from 'node:net';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';

function parseFlags(argv) {
  const flags = { header: [] };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      if (key === 'keepalive') flags.keepalive = true;
      else if (key === 'header') flags.header.push(argv[++i]);
      else flags[key] = argv[++i];
    } else positional.push(a);
  }
  const headers = {};
  for (const h of flags.header) {
    const at = h.indexOf(':');
    headers[h.slice(0, at).trim()] = h.slice(at + 1).trim();
  }
  return { flags, positional, headers };
}

function get(url, headers, agent, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, contentType: res.headers['content-type'], body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

async function fetchMode(positional, headers) {
  const out = [];
  for (const url of positional) {
    const r = await get(url, headers, false, 10_000);
    out.push({ status: r.status, contentType: r.contentType, body: r.body.toString('base64') });
  }
  process.stdout.write(JSON.stringify(out));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function loadMode(flags, headers) {
  const total = Number(flags.total ?? 1000);
  const concurrency = Number(flags.concurrency ?? 40);
  const timeoutMs = Number(flags.timeout ?? 20_000);
  const expect = flags['expect-base64'] === undefined ? undefined : Buffer.from(flags['expect-base64'], 'base64');
  const agent = flags.keepalive ? new http.Agent({ keepAlive: true, maxSockets: concurrency }) : false;
  const latencies = [];
  const errors = {};
  let ok = 0;
  let failed = 0;
  let mismatched = 0;
  const mismatches = {};
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      const t = performance.now();
      try {
        const r = await get(flags.url, headers, agent, timeoutMs);
        latencies.push(performance.now() - t);
        if (r.status !== 200 || (expect && !r.body.equals(expect))) {
          mismatched++;
          const why = r.status !== 200 ? `status ${r.status}` : `body of ${r.body.length} bytes differs`;
          mismatches[why] = (mismatches[why] ?? 0) + 1;
        } else ok++;
      } catch (error) {
        failed++;
        errors[error.code ?? error.message] = (errors[error.code ?? error.message] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const durationMs = performance.now() - started;
  if (agent) agent.destroy();
  latencies.sort((a, b) => a - b);
  process.stdout.write(
    JSON.stringify({ ok, failed, mismatched, mismatches, errors, durationMs, rps: (ok / durationMs) * 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }),
  );
}

async function idleMode(flags) {
  const count = Number(flags.count ?? 1000);
  const sockets = [];
  let open = 0;
  await new Promise((resolve, reject) => {
    for (let i = 0; i < count; i++) {
      const s = net.connect({ host: flags.host, port: Number(flags.port ?? 80) }, () => {
        open++;
        if (open === count) resolve();
      });
      s.on('error', reject);
      sockets.push(s);
    }
  });
  process.stdout.write(`ready ${open}\n`);
  await new Promise((resolve) => process.once('SIGTERM', resolve));
  for (const s of sockets) s.destroy();
}

const [mode, ...rest] = process.argv.slice(2);
const { flags, positional, headers } = parseFlags(rest);
if (mode === 'fetch') await fetchMode(positional, headers);
else if (mode === 'load') await loadMode(flags, headers);
else if (mode === 'idle') await idleMode(flags);
else {
  process.stderr.write('usage: load-client.mjs fetch|load|idle ...\n');
  process.exitCode = 2;
}
