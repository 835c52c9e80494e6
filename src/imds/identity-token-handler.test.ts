// Handler tests for /metadata/identity/oauth2/token: response bytes, JWT signature and claims, identity
// selection, the captured error bodies, and the token cache (decreasing expires_in, bypass_cache, refresh).
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { IdentityProfile, VmProfile } from '../config/vm-profile.ts';
import { HttpError } from '../http/http-error.ts';
import { handlerFixture, imdsRequest } from '../../test/helpers/signing-fixtures.ts';
import type { HandlerFixture } from '../../test/helpers/signing-fixtures.ts';
import { handleIdentityToken } from './identity-token-handler.ts';

const PATH = '/metadata/identity/oauth2/token';
const ARM = 'https://management.azure.com/';
const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);
const NOW_S = NOW / 1000;

interface TokenBody {
  access_token: string;
  client_id: string;
  expires_in: string;
  expires_on: string;
  ext_expires_in: string;
  not_before: string;
  resource: string;
  token_type: string;
}

function decodeJwt(token: string) {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'three-part JWT');
  const [h, p, s] = parts as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

describe('handleIdentityToken', () => {
  let fx: HandlerFixture;
  let base: VmProfile;
  before(async () => {
    fx = await handlerFixture(NOW);
    base = fx.profile();
  });
  after(() => fx.close());
  beforeEach(() => {
    fx.ctx.tokens.clear();
    fx.setProfile(base);
  });

  function withIdentity(identity: Partial<IdentityProfile>, lifetime?: number): void {
    fx.setProfile({
      ...base,
      identity: { ...base.identity, ...identity },
      service: { ...base.service, tokenLifetimeSeconds: lifetime ?? base.service.tokenLifetimeSeconds },
    });
  }

  function token(query: Record<string, string>): { raw: string; body: TokenBody } {
    const response = handleIdentityToken(imdsRequest(PATH, { 'api-version': '2018-02-01', ...query }), fx.ctx);
    assert.equal(response.status, 200);
    const raw = response.body.toString();
    return { raw, body: JSON.parse(raw) as TokenBody };
  }

  function error(query: Record<string, string>): { status: number; body: string } {
    try {
      handleIdentityToken(imdsRequest(PATH, { 'api-version': '2018-02-01', ...query }), fx.ctx);
    } catch (e) {
      assert.ok(e instanceof HttpError, 'e instanceof HttpError');
      return { status: e.status, body: JSON.stringify(e.body) };
    }
    assert.fail('expected an error');
  }

  it('answers a fresh token: alphabetical keys, all strings, lifetimes as captured', () => {
    const { raw, body } = token({ resource: ARM });
    assert.deepEqual(Object.keys(body), ['access_token', 'client_id', 'expires_in', 'expires_on', 'ext_expires_in', 'not_before', 'resource', 'token_type']);
    for (const value of Object.values(body)) assert.equal(typeof value, 'string');
    assert.equal(body.client_id, base.identity.systemAssigned!.clientId);
    assert.equal(body.expires_in, '86400');
    assert.equal(body.ext_expires_in, '86399');
    assert.equal(body.expires_on, String(NOW_S + 86400));
    assert.equal(body.not_before, String(NOW_S - 300));
    assert.equal(Number(body.expires_on) - Number(body.not_before), 86400 + 300);
    assert.equal(body.resource, ARM);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(raw, JSON.stringify(body));
  });

  it('mints an RS256 JWT that verifies with the token key and carries the managed-identity claims', () => {
    const { body } = token({ resource: ARM });
    const jwt = decodeJwt(body.access_token);
    assert.deepEqual(jwt.header, { typ: 'JWT', alg: 'RS256', x5t: fx.signing.tokenKeyId, kid: fx.signing.tokenKeyId });
    assert.ok(verify('sha256', Buffer.from(jwt.signingInput), fx.signing.tokenPublicKey, jwt.signature), 'verify(\'sha256\', Buffer.from(jwt.signingInput), fx.signing.tokenPub...');
    const tampered = Buffer.from(jwt.signingInput.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    assert.ok(!verify('sha256', tampered, fx.signing.tokenPublicKey, jwt.signature), '!verify(\'sha256\', tampered, fx.signing.tokenPublicKey, jwt.signature)');
    const tenant = base.identity.tenantId;
    const system = base.identity.systemAssigned!;
    const c = jwt.claims;
    assert.deepEqual(Object.keys(c), ['aud', 'iss', 'iat', 'nbf', 'exp', 'aio', 'appid', 'appidacr', 'idp', 'idtyp', 'oid', 'rh', 'sub', 'tid', 'uti', 'ver', 'xms_mirid', 'xms_tcdt']);
    assert.equal(c.aud, ARM);
    assert.equal(c.iss, `https://sts.windows.net/${tenant}/`);
    assert.equal(c.idp, c.iss);
    assert.equal(c.iat, NOW_S - 300);
    assert.equal(c.nbf, Number(body.not_before));
    assert.equal(c.exp, Number(body.expires_on));
    assert.equal(c.appid, system.clientId);
    assert.equal(c.appidacr, '2');
    assert.equal(c.idtyp, 'app');
    assert.equal(c.oid, system.objectId);
    assert.equal(c.sub, system.objectId);
    assert.equal(c.tid, tenant);
    assert.equal(c.ver, '1.0');
    assert.equal(c.xms_mirid, base.instance.compute.resourceId);
    assert.equal(typeof c.xms_tcdt, 'number');
    for (const opaque of ['aio', 'rh', 'uti'] as const) assert.match(String(c[opaque]), /^[A-Za-z0-9._-]{16,}$/);
  });

  it('echoes the resource verbatim and treats resources as distinct cache keys', () => {
    const withSlash = token({ resource: ARM }).body;
    const withoutSlash = token({ resource: 'https://management.azure.com' }).body;
    assert.equal(withoutSlash.resource, 'https://management.azure.com');
    assert.equal(decodeJwt(withoutSlash.access_token).claims.aud, 'https://management.azure.com');
    assert.notEqual(withSlash.access_token, withoutSlash.access_token);
    assert.equal(fx.ctx.tokens.cachedTokens, 2);
  });

  it('returns the cached token with a decreasing expires_in', () => {
    const first = token({ resource: ARM }).body;
    fx.clock.advance(67_000);
    const second = token({ resource: ARM }).body;
    fx.clock.advance(1_000_000);
    const third = token({ resource: ARM }).body;
    assert.equal(second.access_token, first.access_token);
    assert.equal(third.access_token, first.access_token);
    assert.equal(second.expires_in, String(86400 - 67));
    assert.equal(third.expires_in, String(86400 - 67 - 1000));
    assert.equal(third.expires_on, first.expires_on);
    assert.equal(third.not_before, first.not_before);
    assert.equal(third.ext_expires_in, '86399');
  });

  it('bypass_cache=true mints and caches a new token', () => {
    const first = token({ resource: ARM }).body;
    fx.clock.advance(5_000);
    const fresh = token({ resource: ARM, bypass_cache: 'true' }).body;
    assert.notEqual(fresh.access_token, first.access_token);
    assert.equal(fresh.expires_in, '86400');
    fx.clock.advance(5_000);
    const after = token({ resource: ARM }).body;
    assert.equal(after.access_token, fresh.access_token);
    assert.equal(after.expires_in, '86395');
    const ignored = token({ resource: ARM, bypass_cache: 'false' }).body;
    assert.equal(ignored.access_token, fresh.access_token);
  });

  it('replaces a cached token that is about to expire', () => {
    withIdentity({}, 3600);
    const first = token({ resource: ARM }).body;
    assert.equal(first.expires_in, '3600');
    assert.equal(first.ext_expires_in, '3599');
    assert.equal(Number(first.expires_on) - Number(first.not_before), 3900);
    fx.clock.advance((3600 - 301) * 1000);
    assert.equal(token({ resource: ARM }).body.access_token, first.access_token);
    fx.clock.advance(2000);
    const renewed = token({ resource: ARM }).body;
    assert.notEqual(renewed.access_token, first.access_token);
    assert.equal(renewed.expires_in, '3600');
  });

  it('selects user-assigned identities by client_id, object_id, msi_res_id and mi_res_id (case-insensitive)', () => {
    const [, backup] = base.identity.userAssigned as [unknown, (typeof base.identity.userAssigned)[number]];
    const queries: Record<string, string>[] = [
      { client_id: backup.clientId },
      { client_id: backup.clientId.toUpperCase() },
      { object_id: backup.objectId },
      { msi_res_id: backup.resourceId },
      { mi_res_id: backup.resourceId.toLowerCase() },
    ];
    for (const query of queries) {
      const body = token({ resource: ARM, ...query }).body;
      assert.equal(body.client_id, backup.clientId, JSON.stringify(query));
      const claims = decodeJwt(body.access_token).claims;
      assert.equal(claims.appid, backup.clientId);
      assert.equal(claims.oid, backup.objectId);
      assert.equal(claims.xms_mirid, backup.resourceId);
    }
  });

  it('client_id / object_id may name the system-assigned identity', () => {
    const system = base.identity.systemAssigned!;
    assert.equal(token({ resource: ARM, client_id: system.clientId }).body.client_id, system.clientId);
    assert.equal(token({ resource: ARM, object_id: system.objectId }).body.client_id, system.clientId);
  });

  it('uses the only user-assigned identity when there is no system-assigned one', () => {
    withIdentity({ systemAssigned: null, userAssigned: [base.identity.userAssigned[0]!] });
    assert.equal(token({ resource: ARM }).body.client_id, base.identity.userAssigned[0]!.clientId);
  });

  it('rejects a missing or empty resource with the captured body', () => {
    const expected = `{"error":"invalid_request","error_description":"Required query variable 'resource' is missing"}`;
    assert.deepEqual(error({}), { status: 400, body: expected });
    assert.deepEqual(error({ resource: '' }), { status: 400, body: expected });
  });

  it('answers "Identity not found" for a VM without identities and for unknown selectors', () => {
    const expected = { status: 400, body: '{"error":"invalid_request","error_description":"Identity not found"}' };
    assert.deepEqual(error({ resource: ARM, client_id: '00000000-0000-0000-0000-000000000000' }), expected);
    assert.deepEqual(error({ resource: ARM, object_id: '00000000-0000-0000-0000-000000000000' }), expected);
    assert.deepEqual(error({ resource: ARM, msi_res_id: `${base.instance.compute.resourceId as string}` }), expected);
    withIdentity({ systemAssigned: null, userAssigned: [] });
    assert.deepEqual(error({ resource: ARM }), expected);
  });

  it('answers the captured "Multiple user assigned identities" body (168 bytes) when the choice is ambiguous', () => {
    withIdentity({ systemAssigned: null });
    const result = error({ resource: ARM });
    assert.equal(result.status, 400);
    assert.equal(
      result.body,
      '{"error":"invalid_request","error_description":"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"}',
    );
    assert.equal(Buffer.byteLength(result.body), 168);
    assert.equal(token({ resource: ARM, client_id: base.identity.userAssigned[0]!.clientId }).body.client_id, base.identity.userAssigned[0]!.clientId);
  });

  it('rejects more than one selector (mi_res_id counts as one) with our conflict body', () => {
    const user = base.identity.userAssigned[0]!;
    const expected = {
      status: 400,
      body: `{"error":"invalid_request","error_description":"Only one of the query variables 'client_id', 'object_id', 'msi_res_id' or 'mi_res_id' may be specified"}`,
    };
    assert.deepEqual(error({ resource: ARM, client_id: user.clientId, object_id: user.objectId }), expected);
    assert.deepEqual(error({ resource: ARM, msi_res_id: user.resourceId, mi_res_id: user.resourceId }), expected);
    assert.equal(token({ resource: ARM, client_id: user.clientId, object_id: '' }).body.client_id, user.clientId);
  });

  it('answers api-versions before 2018-02-01 with the identity-style category-floor 404', () => {
    for (const version of ['2017-04-02', '2017-12-01']) {
      assert.deepEqual(error({ 'api-version': version, resource: ARM }), { status: 404, body: '{"error":"not_found","error_description":"Not found"}' });
    }
    assert.equal(token({ 'api-version': '2018-02-01', resource: ARM }).body.resource, ARM);
  });

  it('checks resource before identity selection', () => {
    withIdentity({ systemAssigned: null, userAssigned: [] });
    assert.match(error({}).body, /'resource' is missing/);
  });
});
