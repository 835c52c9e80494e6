// `imds-lab serve` rate limits and --fault injection, observed from outside with real HTTP requests.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { httpGet as get } from './helpers/http-client.ts';
import { REPO_ROOT, run, startServe, tempStateDir, type ServeProcess } from './helpers/serve-process.ts';

const INSTANCE = '/metadata/instance?api-version=2021-02-01';
const TOKEN = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';

describe('serve: rate limits and faults', () => {
  const started: ServeProcess[] = [];
  let state: Awaited<ReturnType<typeof tempStateDir>> | undefined;
  const serve = async (args: string[]): Promise<ServeProcess> => {
    state ??= await tempStateDir();
    const s = await startServe(state.path, args);
    started.push(s);
    return s;
  };

  after(async () => {
    for (const s of started) await s.stop();
    await state?.remove();
  });

  it('default limits: a burst of 8 general requests gets 5 × 200 then 429 {"error":"Too many requests"}', async () => {
    const s = await serve([]);
    // curl in one process, sequentially, the docs way: a tight burst well inside one second.
    const args = ['-s', '-H', 'Metadata:true', '--noproxy', '*'];
    for (let i = 0; i < 8; i++) args.push('-w', '\\n%{http_code}\\n', `${s.base}${INSTANCE}`);
    const res = await run('curl', args);
    const lines = res.stdout.trim().split('\n');
    const replies = Array.from({ length: lines.length / 2 }, (_, i) => ({ body: lines[2 * i]!, status: Number(lines[2 * i + 1]) }));
    assert.deepEqual(
      replies.map((r) => r.status),
      [200, 200, 200, 200, 200, 429, 429, 429],
    );
    assert.equal(replies[5]!.body, '{"error":"Too many requests"}');
    assert.equal(JSON.parse(replies[0]!.body).compute !== undefined, true);
  });

  it('identity: at most 5 concurrent (slow tokens via a delay fault) → the 6th gets the identity 429', async () => {
    const s = await serve(['--fault', 'path=/metadata/identity/oauth2/token,delay=2500']);
    const slow = Array.from({ length: 5 }, () => get(`${s.base}${TOKEN}`));
    await new Promise((r) => setTimeout(r, 700));
    const sixth = await get(`${s.base}${TOKEN}`);
    assert.equal(sixth.status, 429);
    assert.equal(sixth.body, '{"error":"too_many_requests","error_description":"Too many requests"}');
    // The headerless SDK probe is still answered at once.
    const probe = await get(`${s.base}${TOKEN}`, {});
    assert.equal(probe.status, 400);
    assert.equal(probe.body, '{"error":"invalid_request","error_description":"Required metadata header not specified"}');
    assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200, 200, 200, 200]);
  });

  it('--no-rate-limit: a burst of 12 all succeed', async () => {
    const s = await serve(['--no-rate-limit']);
    const statuses = await Promise.all(Array.from({ length: 12 }, () => get(`${s.base}${INSTANCE}`).then((r) => r.status)));
    assert.deepEqual(statuses, Array(12).fill(200));
  });

  it('--fault with count: the next 2 instance requests get 410 {"error":"Gone"}, then normal service', async () => {
    const s = await serve(['--no-rate-limit', '--fault', 'path=/metadata/instance,status=410,count=2']);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await get(`${s.base}${INSTANCE}`));
    assert.deepEqual(statuses.map((r) => r.status), [410, 410, 200, 200]);
    assert.equal(statuses[0]!.body, '{"error":"Gone"}');
    // Other paths are untouched.
    assert.equal((await get(`${s.base}/metadata/versions`)).status, 200);
  });

  it('--fault with probability and seed: two servers give the same sequence', async () => {
    const spec = 'path=/metadata/*,status=500,probability=0.5,seed=1234';
    const sequence = async (): Promise<number[]> => {
      const s = await serve(['--no-rate-limit', '--fault', spec]);
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await get(`${s.base}${INSTANCE}`)).status);
      return out;
    };
    const a = await sequence();
    const b = await sequence();
    assert.deepEqual(a, b);
    assert.ok(a.includes(500) && a.includes(200), a.join(','));
  });

  it('--fault delay: the response waits at least the delay', async () => {
    const s = await serve(['--no-rate-limit', '--fault', 'path=/metadata/versions,delay=600ms,count=1']);
    const t0 = Date.now();
    assert.equal((await get(`${s.base}/metadata/versions`)).status, 200);
    assert.ok(Date.now() - t0 >= 590, `took ${Date.now() - t0} ms`);
  });

  it('a bad --fault is a usage error naming the key (exit 2, no server)', async () => {
    const res = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--listen', '127.0.0.1:0', '--fault', 'path=/x,status=418'], {
      cwd: REPO_ROOT,
    });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /fault\.status must be one of 404, 410, 429, 500, 503/);
  });
});
