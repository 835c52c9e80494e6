import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyFixRoutes, selectRoute } from './route-select.ts';
import { failoverFacts, secondaryNicFacts } from '../../test/helpers/view-facts.ts';

describe('selectRoute', () => {
  it('prefers the longest prefix: the on-link 169.254.0.0/16 of a cluster adapter beats the default route', () => {
    const r = selectRoute(failoverFacts().routes, '169.254.169.254');
    assert.deepEqual([r?.dst, r?.dev, r?.gateway, r?.prefsrc], ['169.254.0.0/16', 'cluster0', undefined, '169.254.77.10']);
  });

  it('a bare address is a /32 and takes its source from the connected route of its device', () => {
    const r = selectRoute(secondaryNicFacts().routes, '169.254.169.254');
    assert.deepEqual([r?.dst, r?.dev, r?.prefsrc], ['169.254.169.254', 'eth1', '10.1.1.4']);
  });

  it('at equal prefix the lowest metric wins; no match is null', () => {
    const routes = [
      { dst: '10.9.0.0/16', dev: 'a', metric: 5 },
      { dst: '10.9.0.0/16', dev: 'b', metric: 1 },
    ];
    assert.equal(selectRoute(routes, '10.9.1.1')?.dev, 'b');
    assert.equal(selectRoute(routes, '10.8.1.1'), null);
  });
});

describe('applyFixRoutes', () => {
  it('replaces the route with the same destination and metric, adds one with another metric', () => {
    const replaced = applyFixRoutes(secondaryNicFacts().routes, [{ to: '169.254.169.254/32', via: '10.1.0.1', dev: 'eth0' }]);
    assert.equal(replaced.filter((r) => r.dst === '169.254.169.254').length, 1);
    assert.equal(selectRoute(replaced, '169.254.169.254')?.dev, 'eth0');
    const added = applyFixRoutes(failoverFacts().routes, [{ to: '169.254.169.254/32', via: '10.1.0.1', dev: 'eth0', metric: 1 }]);
    assert.equal(added.length, failoverFacts().routes.length + 1);
    assert.deepEqual([selectRoute(added, '169.254.169.254')?.dev, selectRoute(added, '169.254.169.254')?.prefsrc], ['eth0', '10.1.0.4']);
  });
});
