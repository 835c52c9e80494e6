// The route table: which route serves which path, with which methods, error style, versions and rate class.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultProfileDocument } from '../config/default-profile.ts';
import type { VmProfile } from '../config/vm-profile.ts';
import { FakeClock } from '../util/clock.ts';
import { INSTANCE_API_VERSIONS, SCHEDULED_EVENTS_API_VERSIONS } from './api-versions.ts';
import type { ImdsContext } from './imds-context.ts';
import { createRouteTable, defaultApiVersions } from './route-table.ts';

function table(profile: VmProfile = defaultProfileDocument()) {
  let current = profile;
  const ctx = { profile: () => current, clock: new FakeClock() } as unknown as ImdsContext;
  return { routes: createRouteTable(ctx), ctx, swap: (p: VmProfile) => (current = p) };
}

describe('createRouteTable', () => {
  const { routes } = table();
  const find = (path: string) => routes.filter((r) => r.matches(path)).map((r) => r.name);

  it('each path resolves to exactly one route', () => {
    assert.deepEqual(find('/metadata/versions'), ['versions']);
    assert.deepEqual(find('/metadata/instance'), ['instance']);
    assert.deepEqual(find('/metadata/instance/compute/vmId'), ['instance']);
    assert.deepEqual(find('/metadata/instance/'), ['instance']);
    assert.deepEqual(find('/metadata/attested/document'), ['attested']);
    assert.deepEqual(find('/metadata/identity/oauth2/token'), ['identity-token']);
    assert.deepEqual(find('/metadata/identity/info'), ['identity-info']);
    assert.deepEqual(find('/metadata/loadbalancer'), ['loadbalancer']);
    assert.deepEqual(find('/metadata/scheduledevents'), ['scheduledevents']);
    assert.deepEqual(find('/metadata/reprovisiondata'), ['reprovisiondata']);
  });

  it('unknown or wrong-cased paths match nothing', () => {
    for (const p of ['/metadata', '/metadata/identity', '/metadata/instancex', '/metadata/Instance', '/metadata/attested', '/', '/metadata/versions/']) {
      assert.deepEqual(find(p), [], p);
    }
  });

  it('paths no route serves under /metadata/identity belong to the identity family (identity style and rate class)', () => {
    const owners = (path: string) => routes.filter((r) => r.family?.(path) === true).map((r) => r.name);
    for (const p of ['/metadata/identity', '/metadata/identity/', '/metadata/identity/oauth2', '/metadata/identity/x/y']) {
      assert.deepEqual(owners(p), ['identity-token', 'identity-info'], p);
    }
    for (const p of ['/metadata/identityx', '/metadata/Identity/info', '/metadata/instance/x', '/metadata']) assert.deepEqual(owners(p), [], p);
  });

  it('methods, styles, rate classes and version lists', () => {
    const byName = Object.fromEntries(routes.map((r) => [r.name, r]));
    assert.deepEqual(byName['scheduledevents']!.methods, ['GET', 'POST']);
    for (const r of routes.filter((x) => x.name !== 'scheduledevents')) assert.deepEqual(r.methods, ['GET'], r.name);
    assert.deepEqual(routes.filter((r) => r.errorStyle === 'identity').map((r) => r.name), ['identity-token', 'identity-info']);
    assert.deepEqual(routes.filter((r) => r.rateClass === 'identity').map((r) => r.name), ['identity-token', 'identity-info']);
    assert.equal(byName['versions']!.versions, null);
    assert.equal(byName['scheduledevents']!.versions, SCHEDULED_EVENTS_API_VERSIONS);
    for (const name of ['instance', 'attested', 'identity-token', 'identity-info', 'loadbalancer', 'reprovisiondata']) {
      assert.equal(byName[name]!.versions, INSTANCE_API_VERSIONS, name);
    }
  });

  it('instance-family lists follow a runtime profile swap (service.apiVersions)', () => {
    const t = table();
    const base = defaultProfileDocument();
    t.swap({ ...base, service: { ...base.service, apiVersions: ['2019-06-01', '2021-02-01'] } });
    assert.deepEqual(t.routes.find((r) => r.name === 'instance')!.versions, ['2019-06-01', '2021-02-01']);
    assert.deepEqual(defaultApiVersions(t.ctx), ['2019-06-01', '2021-02-01']);
  });
});
