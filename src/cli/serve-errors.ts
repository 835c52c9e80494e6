// The errors `imds-lab serve` can hit before it serves, each with its fix: port in use, a privileged port
// as non-root, TUN capture as non-root. (A missing /dev/net/tun is explained by link/tun.ts.)
import { ImdsLabError } from '../util/errors.ts';

export class ServeSetupError extends ImdsLabError {}

/** --capture tun needs root (CAP_NET_ADMIN): say so before the namespace guard talks about namespaces. */
export function assertTunPrivileges(uid: number | undefined = process.getuid?.()): void {
  if (uid === undefined || uid === 0) return;
  throw new ServeSetupError(
    'ERR_SERVE_PRIVILEGE',
    '--capture tun needs root (CAP_NET_ADMIN creates the TUN device) and runs inside a lab namespace: start a lab with `sudo imds-lab up` (which runs serve there), or serve without privileges with --capture socket --listen 127.0.0.1:8080',
  );
}

/** Rewrites listen errors (EADDRINUSE, EACCES on a port below 1024) into what to do; other errors pass through. */
export function explainListenError(error: unknown, listen: { host: string; port: number }): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const where = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
  if (code === 'EADDRINUSE') {
    return new ServeSetupError(
      'ERR_SERVE_ADDRESS_IN_USE',
      `${where} is already in use (EADDRINUSE): stop what listens there (\`ss -ltnp 'sport = :${listen.port}'\` shows it) or pick another port, e.g. --listen ${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:0 for a free one`,
    );
  }
  if (code === 'EACCES' && listen.port < 1024) {
    return new ServeSetupError(
      'ERR_SERVE_PRIVILEGED_PORT',
      `port ${listen.port} is below 1024 and needs root or CAP_NET_BIND_SERVICE (EACCES): use a port from 1024 up (--listen ${listen.host}:8080) or run with sudo`,
    );
  }
  return error;
}
