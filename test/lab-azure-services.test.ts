// Issue 12 end to end in a real lab: Azure DNS answers in the VM at once, a burst meets the rate limit
// (and up --no-rate-limit lifts it), the docs' attested-document recipe fetches the issuing CA from the leaf's
// CA Issuers URI (also IMDSSample.py-style, with the trailing %0A), /etc/netns is cleaned on down, and a small
// Node client shows the SDK confusion of docker-desktop.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { exec, IMDS_URL, LabTestContext } from './helpers/lab-cli.ts';
import { privilegedSkipReason } from './helpers/netns.ts';

const INSTANCE = 'http://169.254.169.254/metadata/instance?api-version=2021-02-01';

// The docs' recipe (docs/attested-and-tokens.md), unchanged, with the CA fetched from the leaf's URI.
const RECIPE = `set -e
cd "$(mktemp -d)"
curl -s -H Metadata:true --noproxy "*" "http://169.254.169.254/metadata/attested/document?api-version=2021-02-01&nonce=1234567890" | python3 -c 'import json,sys; print(json.load(sys.stdin)["signature"])' > signature
base64 -d signature > decodedsignature
openssl pkcs7 -in decodedsignature -inform DER -out sign.pk7
openssl pkcs7 -in decodedsignature -inform DER -print_certs -out signer.pem
openssl smime -verify -in sign.pk7 -inform pem -noverify >/dev/null
curl -sf -o intermediate.cer "$(openssl x509 -in signer.pem -text -noout | grep " CA Issuers -" | awk -FURI: '{print $2}')"
openssl x509 -inform der -in intermediate.cer -out intermediate.pem
openssl verify -verbose -CAfile "$ROOT" -untrusted intermediate.pem signer.pem
`;

// IMDSSample.py's way: the URI taken from "openssl x509 -text" with its newline, fetched with requests (→ %0A).
const SAMPLE_PY = `
import subprocess, requests
from cryptography import x509
text = subprocess.run(["openssl", "x509", "-in", "signer.pem", "-text", "-noout"], capture_output=True, text=True).stdout
url = text.split("CA Issuers - URI:")[1].split("\\n")[0] + "\\n"
r = requests.get(url)
cert = x509.load_der_x509_certificate(r.content)
print(r.status_code, r.url.endswith("%0A"), cert.subject.rfc4514_string())
`;

// What an SDK does with the answer (MSAL/azure-identity style): parse JSON, or recognise Docker Desktop's 403.
const NODE_CLIENT = `
const http = require('node:http');
http.get('http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/', { headers: { Metadata: 'true' } }, (res) => {
  let body = '';
  res.on('data', (c) => (body += c));
  res.on('end', () => {
    let naive;
    try { naive = 'token ' + JSON.parse(body).access_token; } catch (e) { naive = 'error ' + e.constructor.name; }
    const unavailable = res.statusCode === 403 && /unreachable network/.test(body);
    console.log(JSON.stringify({ status: res.statusCode, naive, verdict: unavailable ? 'CredentialUnavailable' : 'other' }));
  });
}).on('error', (e) => console.log(JSON.stringify({ error: e.code })));
`;

describe('lab Azure services (issue 12)', { skip: privilegedSkipReason() }, () => {
  const ctx = new LabTestContext('azs');
  after(async () => {
    await ctx.cleanup();
    assert.deepEqual(await ctx.leftovers(), []);
  });

  it('Azure DNS answers at once, a 12-request burst gets 5 x 200 and 7 x 429, the CA Issuers URI is served; down removes /etc/netns/<vm>', async () => {
    const name = ctx.name();
    try {
      assert.equal((await ctx.cli(['up', '--name', name])).code, 0);
      // Timed without the CLI's start-up: ip netns exec applies /etc/netns/<vm>/resolv.conf just the same.
      const dns = await exec(['ip', 'netns', 'exec', `${name}-vm`, 'timeout', '3', 'getent', 'hosts', 'example.invalid']);
      assert.equal(dns.code, 2, `NXDOMAIN expected: ${dns.stderr}`);
      assert.ok(dns.ms < 2500, `NXDOMAIN took ${Math.round(dns.ms)} ms (a missing resolver stalls 5 s per try)`);
      const own = await ctx.cli(['exec', '--name', name, '--', 'getent', 'hosts', 'examplevmname.internal.cloudapp.net']);
      assert.match(own.stdout, /^10\.1\.0\.4\s/);

      const burst = await ctx.cli(['exec', '--name', name, '--', 'curl', '-s', '-H', 'Metadata: true', '-o', '/dev/null', '-w', '%{http_code}\\n', ...Array<string>(12).fill(INSTANCE).flatMap((u, i) => (i === 0 ? [u] : ['-o', '/dev/null', u]))]);
      const codes = burst.stdout.trim().split('\n').map(Number);
      assert.deepEqual([codes.filter((c) => c === 200).length, codes.filter((c) => c === 429).length], [5, 7], burst.stdout);

      // The recipe's attested-document request counts against the same 5-per-second limit: let the burst's
      // one-second window end first (the CLI's start-up used to take that long by itself).
      await delay(1100);
      const root = `${ctx.runDir}/root.pem`;
      assert.equal((await ctx.cli(['ca', '--state-dir', `${ctx.runDir}/.responder`, '--out', root])).code, 0);
      const recipe = await ctx.cli(['exec', '--name', name, '--', 'env', `ROOT=${root}`, 'sh', '-c', `${RECIPE}python3 -c '${SAMPLE_PY.replace(/'/g, `'"'"'`)}'`]);
      assert.equal(recipe.code, 0, `${recipe.stdout}\n${recipe.stderr}`);
      assert.match(recipe.stdout, /signer\.pem: OK/);
      assert.match(recipe.stdout, /^200 True CN=imds-lab Emulator TLS Issuing CA 05,O=imds-lab,C=US$/m);
      assert.ok(existsSync(`/etc/netns/${name}-vm/resolv.conf`));
    } finally {
      await ctx.cli(['down', '--name', name]);
    }
    assert.equal(existsSync(`/etc/netns/${name}-vm`), false, 'down removes the VM resolv.conf folder');
  });

  it('up --no-rate-limit: the same burst gets 12 x 200', async () => {
    const name = ctx.name();
    try {
      assert.equal((await ctx.cli(['up', '--name', name, '--capture', 'socket', '--no-rate-limit'])).code, 0);
      const burst = await ctx.cli(['exec', '--name', name, '--', 'curl', '-s', '-H', 'Metadata: true', '-w', '%{http_code}\\n', ...Array<string>(12).fill(INSTANCE).flatMap((u) => ['-o', '/dev/null', u])]);
      assert.deepEqual(burst.stdout.trim().split('\n').map(Number), Array<number>(12).fill(200));
    } finally {
      await ctx.cli(['down', '--name', name]);
    }
  });

  it('docker-desktop: a naive Node client fails to parse the 403, an SDK-style one calls it CredentialUnavailable; --fixed reaches IMDS', async () => {
    const name = ctx.name();
    try {
      assert.equal((await ctx.cli(['up', '--name', name, '--scenario', 'docker-desktop'])).code, 0);
      const r = await ctx.cli(['exec', '--name', name, '--', process.execPath, '-e', NODE_CLIENT]);
      assert.deepEqual(JSON.parse(r.stdout), { status: 403, naive: 'error SyntaxError', verdict: 'CredentialUnavailable' });
      assert.equal((await ctx.cli(['up', '--name', name, '--scenario', 'docker-desktop', '--fixed'])).code, 0);
      const fixed = await ctx.curl(name, ['-m', '2', IMDS_URL]);
      assert.match(fixed.stdout, /^[0-9a-f-]{36}$/);
    } finally {
      await ctx.cli(['down', '--name', name]);
    }
  });
});
