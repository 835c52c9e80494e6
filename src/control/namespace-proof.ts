// The control socket's network-namespace barrier: a filesystem socket is reachable from every namespace
// that sees the file, so a client also proves it runs in the daemon's network namespace by sending its nonce
// to an abstract Unix socket (abstract names are per network namespace, kernel enforced; a VM cannot).
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { ControlError, CONTROL_ERROR_CODES } from './control-error.ts';

export const ABSTRACT_PREFIX = 'imds-lab-control-';

export interface ProofListener {
  /** The abstract name (without the leading NUL). */
  readonly name: string;
  /** Registers a nonce; `onProof` runs when a same-namespace client presents it. Returns the unregister function. */
  expect(nonce: string, onProof: () => void): () => void;
  close(): Promise<void>;
}

export function newNonce(): string {
  return randomBytes(24).toString('hex');
}

export async function startProofListener(): Promise<ProofListener> {
  const name = `${ABSTRACT_PREFIX}${randomBytes(12).toString('hex')}`;
  const expected = new Map<string, () => void>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(5000, () => socket.destroy());
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.length > 256) {
        socket.destroy();
        return;
      }
      const end = text.indexOf('\n');
      if (end < 0) return;
      const onProof = expected.get(text.slice(0, end).trim());
      if (onProof) {
        expected.delete(text.slice(0, end).trim());
        socket.end('ok\n');
        onProof();
      } else {
        socket.end('unknown\n');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: `\0${name}` }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    name,
    expect(nonce, onProof) {
      expected.set(nonce, onProof);
      return () => {
        expected.delete(nonce);
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        expected.clear();
        server.close(() => resolve());
      }),
  };
}

/** Client side: presents `nonce` on the abstract socket `name`; rejects with ERR_CONTROL_NAMESPACE when unreachable. */
export function presentProof(name: string, nonce: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown): void => {
      socket.destroy();
      reject(
        new ControlError(
          CONTROL_ERROR_CODES.namespace,
          `the control socket belongs to a daemon in another network namespace (${why}); run ctl inside the daemon's namespace, e.g. ip netns exec <lab>-host imds-lab ctl …`,
          cause === undefined ? undefined : { cause },
        ),
      );
    };
    const socket = net.connect({ path: `\0${name}` });
    let answer = '';
    socket.setTimeout(timeoutMs, () => fail('no answer on the namespace check'));
    socket.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message, error));
    socket.on('connect', () => socket.write(`${nonce}\n`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('end', () => {
      socket.destroy();
      if (answer.startsWith('ok')) resolve();
      else fail('the daemon did not accept the namespace proof');
    });
  });
}
