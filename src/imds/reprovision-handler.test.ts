// /metadata/reprovisiondata: 404 until assigned, then the OVF XML as text/xml (imds-spec §11).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultProfileDocument } from '../config/default-profile.ts';
import type { VmProfile } from '../config/vm-profile.ts';
import { HttpError } from '../http/http-error.ts';
import type { ImdsRequest } from '../http/imds-request.ts';
import { FakeClock } from '../util/clock.ts';
import type { ImdsContext } from './imds-context.ts';
import { handleReprovisionData } from './reprovision-handler.ts';

const request: ImdsRequest = { method: 'GET', path: '/metadata/reprovisiondata', query: new Map(), headers: {}, body: Buffer.alloc(0), remoteAddress: '', apiVersion: '2019-06-01' };

describe('handleReprovisionData', () => {
  it('404 {"error":"Not found"} while reprovisionData is null, 200 XML once set (profile swapped at runtime)', () => {
    let profile: VmProfile = { ...defaultProfileDocument(), reprovisionData: null };
    const ctx = { profile: () => profile, clock: new FakeClock() } as unknown as ImdsContext;
    assert.throws(() => handleReprovisionData(request, ctx), (e: unknown) => e instanceof HttpError && e.status === 404 && JSON.stringify(e.body) === '{"error":"Not found"}');
    const xml = '<?xml version="1.0"?><Environment xmlns="http://schemas.dmtf.org/ovf/environment/1"/>';
    profile = { ...profile, reprovisionData: xml };
    const res = handleReprovisionData(request, ctx);
    assert.deepEqual(res, { status: 200, body: xml, contentType: 'text/xml; charset=utf-8' });
  });
});
