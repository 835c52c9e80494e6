// Swagger conformance of the example VM's responses, served by startDaemon (socket mode, in process) and
// fetched over real HTTP: instance, versions, attested, identity token/info, and the error bodies, for every
// stored Swagger version (imds-spec §3.2) where the path exists.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type DaemonHandle } from '../src/daemon/start-daemon.ts';
import { httpGet as get } from './helpers/http-client.ts';
import { loadSwagger, swaggerVersions, validateAgainstSwagger } from './helpers/swagger-validator.ts';
import { tempStateDir } from './helpers/serve-process.ts';

/**
 * Keys real IMDS returns that some Swagger versions do not define; the emulator follows the captures
 * (imds-spec §5.4 customData "still present in 2021–2023 captures", §5.9 osDisk.diffDiskSettings in the
 * 2021-02-01 AKS capture). Every other extra key fails the closed check.
 */
const CAPTURED_EXTRAS = [
  '/compute must NOT have additional properties (customData)',
  '/compute/storageProfile/osDisk must NOT have additional properties (diffDiskSettings)',
];
const withoutCapturedExtras = (errors: string[]): string[] => errors.filter((e) => !CAPTURED_EXTRAS.includes(e));

const hasPath = (version: string, path: string): boolean => loadSwagger(version).paths[path] !== undefined;

describe('Swagger conformance of the example VM (served over HTTP by startDaemon)', () => {
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let daemon: DaemonHandle;
  const url = (path: string): string => `${daemon.address.url}${path}`;

  before(async () => {
    state = await tempStateDir();
    daemon = await startDaemon({ capture: 'socket', listen: { host: '127.0.0.1', port: 0 }, stateDir: state.path, rateLimit: false });
  });

  after(async () => {
    await daemon?.close();
    await state?.remove();
  });

  it('startDaemon returns a handle with the real port and the embedded profile', () => {
    assert.equal(daemon.address.host, '127.0.0.1');
    assert.ok(daemon.address.port > 0, 'daemon.address.port > 0');
    assert.equal(daemon.capture, 'socket');
    assert.equal(daemon.profileSource, 'embedded default');
    assert.equal(daemon.context.profile().service.rateLimit.enabled, false, '--no-rate-limit override applied');
  });

  for (const version of swaggerVersions()) {
    describe(`Swagger ${version}`, () => {
      it('GET /metadata/instance is valid (closed: no keys beyond the version and the captured extras)', async () => {
        const res = await get(url(`/metadata/instance?api-version=${version}`));
        assert.equal(res.status, 200);
        assert.deepEqual(withoutCapturedExtras(validateAgainstSwagger(version, '/instance', 200, res.body, { closed: true })), []);
        // Open mode (what the Swagger itself says) must pass without any exception.
        assert.deepEqual(validateAgainstSwagger(version, '/instance', 200, res.body), []);
      });

      if (hasPath(version, '/attested/document')) it('GET /metadata/attested/document is valid', async () => {
        const res = await get(url(`/metadata/attested/document?api-version=${version}&nonce=1234567890`));
        assert.equal(res.status, 200);
        assert.deepEqual(validateAgainstSwagger(version, '/attested/document', 200, res.body, { closed: true }), []);
      });

      it('GET /metadata/identity/oauth2/token and /identity/info are valid', async () => {
        const token = await get(url(`/metadata/identity/oauth2/token?api-version=${version}&resource=https://management.azure.com/`));
        assert.equal(token.status, 200);
        assert.deepEqual(validateAgainstSwagger(version, '/identity/oauth2/token', 200, token.body, { closed: true }), []);
        const info = await get(url(`/metadata/identity/info?api-version=${version}`));
        assert.equal(info.status, 200);
        assert.deepEqual(validateAgainstSwagger(version, '/identity/info', 200, info.body, { closed: true }), []);
      });

      it('error bodies match the error schemas (instance and identity styles)', async () => {
        const instance400 = await get(url(`/metadata/instance?api-version=${version}`), {});
        assert.equal(instance400.status, 400);
        assert.deepEqual(validateAgainstSwagger(version, '/instance', 400, instance400.body), []);
        const identity400 = await get(url(`/metadata/identity/oauth2/token?api-version=${version}&resource=x`), {});
        assert.equal(identity400.status, 400);
        assert.deepEqual(validateAgainstSwagger(version, '/identity/oauth2/token', 400, identity400.body), []);
        const notFound = await get(url(`/metadata/instance/compute/nothing?api-version=${version}`));
        assert.equal(notFound.status, 404);
        assert.deepEqual(validateAgainstSwagger(version, '/instance', 404, notFound.body), []);
      });

      if (hasPath(version, '/versions')) it('GET /metadata/versions is valid', async () => {
        const res = await get(url('/metadata/versions'));
        assert.equal(res.status, 200);
        assert.deepEqual(validateAgainstSwagger(version, '/versions', 200, res.body, { closed: true }), []);
      });
    });
  }
});
