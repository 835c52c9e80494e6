// Files of the emulator PKI under <state-dir>/pki: private directory (0700), keys 0600, atomic writes, and
// first-run creation as one directory rename so concurrent first runs never mix keys.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SigningError } from './signing-error.ts';

export const PKI_DIRECTORY_NAME = 'pki';
export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_KEY_MODE = 0o600;
export const CERTIFICATE_MODE = 0o644;

export const PKI_FILES = {
  rootKey: 'root-ca.key.pem',
  rootCertificate: 'root-ca.cert.pem',
  issuingKey: 'issuing-ca.key.pem',
  issuingCertificate: 'issuing-ca.cert.pem',
  attestedKey: 'attested-signing.key.pem',
  tokenKey: 'token-signing.key.pem',
  tokenCertificate: 'token-signing.cert.pem',
} as const;

/** File of the attested-data leaf whose regional DNS name is `dnsName` (one leaf per region and cloud). */
export function attestedLeafFileName(dnsName: string): string {
  if (!/^[a-z0-9.-]+$/.test(dnsName)) throw new SigningError('ERR_SIGNING_NAME', `not a DNS name: ${JSON.stringify(dnsName)}`);
  return `attested-leaf.${dnsName}.cert.pem`;
}

function fsError(code: string, action: string, path: string, cause: unknown): SigningError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SigningError(code, `cannot ${action} ${path}: ${reason}`, { cause });
}

/** Creates `dir` (and parents) if missing; a directory we create is mode 0700. An existing one is left as is. */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    if (created !== undefined) await chmod(dir, PRIVATE_DIRECTORY_MODE);
  } catch (error) {
    throw fsError('ERR_SIGNING_STATE_DIR', 'create the state directory', dir, error);
  }
}

/** Reads a UTF-8 file, or null when it does not exist. */
export async function readOptionalFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fsError('ERR_SIGNING_READ', 'read', path, error);
  }
}

/** Writes through a fresh temporary file (created with `mode`) and a rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, data, { mode, flag: 'wx' });
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw fsError('ERR_SIGNING_WRITE', 'write', path, error);
  }
}

/**
 * Writes `files` into a new private directory next to `target` and renames it to `target`. Returns false
 * (and removes ours) when `target` appeared meanwhile: another process won the race and its files count.
 */
export async function installDirectory(
  target: string,
  files: readonly { readonly name: string; readonly data: string; readonly mode: number }[],
): Promise<boolean> {
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(temporary, { mode: PRIVATE_DIRECTORY_MODE });
    await chmod(temporary, PRIVATE_DIRECTORY_MODE);
    for (const file of files) {
      await writeFile(join(temporary, file.name), file.data, { mode: file.mode, flag: 'wx' });
      await chmod(join(temporary, file.name), file.mode);
    }
    await rename(temporary, target);
    return true;
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw fsError('ERR_SIGNING_WRITE', 'create', target, error);
  }
}
