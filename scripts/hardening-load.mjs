// Load generators for issue 11 (half-close and slow/idle clients), run inside a lab client namespace:
//   half-close --host H --port P --count N [--gap-ms G] [--concurrency C]
//       N connections that send a GET and at once (or after G ms) shutdown(SHUT_WR), like `nc -N`
//       -> JSON {count, answered, unanswered, statuses, unansweredAt: [indices]}
//   hold --host H --port P --idle N --slowloris N [--max-ms M] [--interval-ms I] [--ramp-ms R]
//       N connections that never send, N that send one header byte every I ms; each waits for the server
//       to close it (at most M ms) -> JSON {idle: Summary, slowloris: Summary}, Summary = {count, closed,
//       got408, firstMs, medianMs, lastMs} (close times since the connection opened)
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';

function flags(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

const REQUEST = (host) => `GET /metadata/instance/compute/name?api-version=2021-02-01&format=text HTTP/1.1\r\nHost: ${host}\r\nMetadata: true\r\n\r\n`;

function halfCloseOnce(host, port, gapMs) {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('connect', () => {
      if (gapMs > 0) {
        socket.write(REQUEST(host));
        setTimeout(() => socket.end(), gapMs);
      } else {
        socket.end(REQUEST(host));
      }
    });
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'));
      resolve(m ? Number(m[1]) : null);
    });
  });
}

async function halfClose(f) {
  const count = Number(f.count ?? 50);
  const concurrency = Number(f.concurrency ?? 1);
  const gapMs = Number(f['gap-ms'] ?? 0);
  const statuses = {};
  let answered = 0;
  let next = 0;
  const unansweredAt = [];
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const status = await halfCloseOnce(f.host, Number(f.port), gapMs);
      if (status !== null) answered++;
      else unansweredAt.push(index);
      statuses[status ?? 'none'] = (statuses[status ?? 'none'] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { count, answered, unanswered: count - answered, statuses, unansweredAt };
}

function holdOne(host, port, slow, intervalMs, maxMs) {
  return new Promise((resolve) => {
    const opened = performance.now();
    const socket = net.connect(port, host);
    const chunks = [];
    let timer;
    let i = 0;
    const head = `GET /metadata/versions HTTP/1.1\r\nHost: ${host}\r\nX-Slow: ${'a'.repeat(100_000)}`;
    socket.on('connect', () => {
      if (slow) timer = setInterval(() => socket.writable && socket.write(head[i++ % head.length]), intervalMs);
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      resolve({ closedMs: null, got408: false });
    }, maxMs);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedMs: performance.now() - opened, got408: /^HTTP\/1\.1 408 /.test(Buffer.concat(chunks).toString('latin1')) });
    });
    // the server's FIN: stop trickling, close our side
    socket.on('end', () => {
      clearInterval(timer);
      socket.end();
    });
  });
}

function summary(results) {
  const closed = results.filter((r) => r.closedMs !== null).map((r) => r.closedMs).sort((a, b) => a - b);
  const at = (q) => (closed.length ? Math.round(closed[Math.min(closed.length - 1, Math.floor(q * closed.length))]) : null);
  return { count: results.length, closed: closed.length, got408: results.filter((r) => r.got408).length, firstMs: at(0), medianMs: at(0.5), lastMs: closed.length ? Math.round(closed.at(-1)) : null };
}

async function hold(f) {
  const maxMs = Number(f['max-ms'] ?? 60_000);
  const intervalMs = Number(f['interval-ms'] ?? 1000);
  const idleCount = Number(f.idle ?? 0);
  const slowCount = Number(f.slowloris ?? 0);
  // --ramp-ms R opens the connections evenly over R ms instead of in one burst (a burst of SYNs overflows
  // the TUN's 500-packet queue; handshakes the kernel drops there are never seen by the server).
  const rampMs = Number(f['ramp-ms'] ?? 0);
  const total = idleCount + slowCount;
  const later = (i, slow) => new Promise((resolve) => setTimeout(resolve, total > 0 ? (i * rampMs) / total : 0)).then(() => holdOne(f.host, Number(f.port), slow, intervalMs, maxMs));
  const idle = Array.from({ length: idleCount }, (_, i) => later(2 * i, false));
  const slow = Array.from({ length: slowCount }, (_, i) => later(2 * i + 1, true));
  return { idle: summary(await Promise.all(idle)), slowloris: summary(await Promise.all(slow)) };
}

const [command, ...rest] = process.argv.slice(2);
const f = flags(rest);
const run = command === 'half-close' ? halfClose : command === 'hold' ? hold : null;
if (!run || !f.host || !f.port) {
  process.stderr.write('usage: hardening-load.mjs half-close|hold --host H --port P [...] (see the header)\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await run(f))}\n`);
