// `imds-lab serve` with other real clients: Node's http module and Python's urllib (the way Microsoft's
// samples call IMDS: Metadata: True, proxies bypassed), including error statuses and keep-alive reuse.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { defaultProfileDocument } from '../src/config/default-profile.ts';
import { run, startServe, tempStateDir, type ServeProcess } from './helpers/serve-process.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function nodeGet(url: string, headers: Record<string, string>, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, ...(agent ? { agent } : {}) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

const PYTHON = `
import json, sys, urllib.request, urllib.error
url, header = sys.argv[1], sys.argv[2]
headers = {"Metadata": header} if header else {}
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    r = opener.open(urllib.request.Request(url, headers=headers), timeout=10)
    status, ctype, body = r.status, r.headers.get("Content-Type"), r.read().decode()
except urllib.error.HTTPError as e:
    status, ctype, body = e.code, e.headers.get("Content-Type"), e.read().decode()
print(json.dumps({"status": status, "contentType": ctype, "body": body}))
`;

async function python(url: string, header = 'True'): Promise<{ status: number; contentType: string; body: string }> {
  const result = await run('python3', ['-c', PYTHON, url, header]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

describe('serve + Node http and Python urllib', () => {
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let serve: ServeProcess;

  before(async () => {
    state = await tempStateDir();
    serve = await startServe(state.path, ['--no-rate-limit', '--server-header', 'IMDS/test-build']);
  });

  after(async () => {
    await serve?.stop();
    await state?.remove();
  });

  it('Node http: instance JSON with the configured Server header and JSON content type', async () => {
    const res = await nodeGet(`${serve.base}/metadata/instance?api-version=2021-02-01`, { Metadata: 'True' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['server'], 'IMDS/test-build');
    assert.equal(JSON.parse(res.body).compute.name, defaultProfileDocument().instance.compute['name']);
  });

  it('Node http: several requests over one keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    agent.on('free', (socket) => ports.add(socket.localPort ?? 0));
    try {
      for (let i = 0; i < 3; i++) {
        const res = await nodeGet(`${serve.base}/metadata/versions`, { Metadata: 'true' }, agent);
        assert.equal(res.status, 200);
      }
      assert.equal(ports.size, 1, 'one socket served every request');
    } finally {
      agent.destroy();
    }
  });

  it('Node http: @azure/identity probe shape (no query, no header) answers 400 identity style', async () => {
    const res = await nodeGet(`${serve.base}/metadata/identity/oauth2/token`, {});
    assert.equal(res.status, 400);
    assert.equal(res.body, '{"error":"invalid_request","error_description":"Required metadata header not specified"}');
  });

  it('Python urllib: instance (Metadata: True), text leaf, token', async () => {
    const instance = await python(`${serve.base}/metadata/instance?api-version=2021-02-01`);
    assert.equal(instance.status, 200);
    assert.equal(instance.contentType, 'application/json; charset=utf-8');
    assert.ok(JSON.parse(instance.body).network.interface.length >= 1, 'JSON.parse(instance.body).network.interface.length >= 1');
    const leaf = await python(`${serve.base}/metadata/instance/compute/location?api-version=2020-06-01&format=text`);
    assert.equal(leaf.status, 200);
    assert.equal(leaf.body, defaultProfileDocument().instance.compute['location']);
    const token = await python(`${serve.base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net`, 'true');
    assert.equal(token.status, 200);
    assert.equal(JSON.parse(token.body).resource, 'https://vault.azure.net');
  });

  it('Python urllib: errors arrive as HTTPError with the exact bodies', async () => {
    const noHeader = await python(`${serve.base}/metadata/instance?api-version=2021-02-01`, '');
    assert.equal(noHeader.status, 400);
    assert.equal(noHeader.body, '{ "error": "Bad request: . Required metadata header not specified" }');
    const noVersion = await python(`${serve.base}/metadata/instance`);
    assert.equal(noVersion.status, 400);
    assert.equal(
      noVersion.body,
      '{"error":"Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds","newest-versions":["2025-04-07","2024-07-17","2024-03-15"]}',
    );
    const lb = await python(`${serve.base}/metadata/loadbalancer?api-version=2020-10-01`);
    assert.equal(lb.status, 200);
  });
});
