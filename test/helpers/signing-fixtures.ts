// Test fixtures for the attested and identity handlers: a temporary state directory with a loaded emulator
// PKI, an ImdsContext over a mutable profile and a FakeClock, and ImdsRequest construction.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultProfileDocument } from '../../src/config/default-profile.ts';
import type { VmProfile } from '../../src/config/vm-profile.ts';
import type { ImdsRequest } from '../../src/http/imds-request.ts';
import type { ImdsContext } from '../../src/imds/imds-context.ts';
import { createTokenIssuer } from '../../src/imds/identity-token-issuer.ts';
import { loadSigningMaterial } from '../../src/signing/signing-material.ts';
import type { SigningMaterial } from '../../src/signing/signing-material.ts';
import { FakeClock } from '../../src/util/clock.ts';

export type SigningContext = Pick<ImdsContext, 'profile' | 'clock' | 'signing' | 'tokens'>;

export async function makeTempDir(prefix: string): Promise<{ readonly path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `imds-lab-${prefix}-${process.pid}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface HandlerFixture {
  /** The fields the attested and identity handlers use (the full ImdsContext is a superset). */
  readonly ctx: SigningContext;
  readonly clock: FakeClock;
  readonly signing: SigningMaterial;
  /** Replace the profile the context returns (a plain, unfrozen copy of the default to start with). */
  setProfile(profile: VmProfile): void;
  profile(): VmProfile;
  close(): Promise<void>;
}

/** A context with a fresh PKI in a temporary state dir; the clock starts at `wallTime` (default: real now). */
export async function handlerFixture(wallTime: number = Date.now()): Promise<HandlerFixture> {
  const dir = await makeTempDir('signing');
  const clock = new FakeClock({ wallTime });
  const signing = await loadSigningMaterial(join(dir.path, 'state'), clock);
  let current: VmProfile = defaultProfileDocument();
  const ctx: SigningContext = {
    profile: () => current,
    clock,
    signing,
    tokens: createTokenIssuer({ signer: signing, clock }),
  };
  return {
    ctx,
    clock,
    signing,
    setProfile: (profile) => {
      current = profile;
    },
    profile: () => current,
    close: () => dir.remove(),
  };
}

/** A GET request as the HTTP layer hands it to handlers (query already decoded, api-version validated). */
export function imdsRequest(path: string, query: Record<string, string>, apiVersion: string | undefined = query['api-version']): ImdsRequest {
  return {
    method: 'GET',
    path,
    query: new Map(Object.entries(query)),
    headers: { metadata: 'true' },
    body: Buffer.alloc(0),
    remoteAddress: '10.1.0.4',
    apiVersion,
  };
}
