// The baseline of scripts/bench-handler.ts: a bare node:http server answering each request-target with the
// bytes, status and headers `serve` sent for it (read from the JSON file in argv[2]); prints its port.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { readFileSync } from 'node:fs';

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const answers = new Map(cases.map((c) => [c.target, { status: c.status, headers: c.headers, body: Buffer.from(c.body, 'base64') }]));
const server = http.createServer((req, res) => {
  const answer = answers.get(req.url);
  if (!answer) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`bare serving on http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
