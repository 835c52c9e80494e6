// `imds-lab ctl --stdio`: a relay for clients outside the daemon's network namespace (library mode). Run in
// the daemon's namespace (ip netns exec <lab>-host …) by a process that may do so, it passes the namespace
// proof itself and then copies bytes between the control socket and stdin/stdout.
import net from 'node:net';
import { ControlError, CONTROL_ERROR_CODES } from './control-error.ts';
import { presentProof } from './namespace-proof.ts';

export function relayControlSocket(socketPath: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path: socketPath });
    let head = Buffer.alloc(0);
    let relaying = false;
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', (error: NodeJS.ErrnoException) =>
      fail(new ControlError(CONTROL_ERROR_CODES.connection, `cannot connect to the control socket ${socketPath}: ${error.code ?? error.message}`, { cause: error })),
    );
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(10);
      if (end < 0) {
        if (head.length > 4096) fail(new ControlError(CONTROL_ERROR_CODES.connection, 'no challenge line from the daemon'));
        return;
      }
      socket.off('data', onData);
      socket.pause();
      let challenge: { type?: string; abstract?: string; nonce?: string };
      try {
        challenge = JSON.parse(head.subarray(0, end).toString('utf8')) as typeof challenge;
      } catch {
        fail(new ControlError(CONTROL_ERROR_CODES.connection, 'the daemon did not send a challenge'));
        return;
      }
      if (challenge.type !== 'challenge' || !challenge.abstract || !challenge.nonce) {
        fail(new ControlError(CONTROL_ERROR_CODES.connection, 'the daemon did not send a challenge'));
        return;
      }
      presentProof(challenge.abstract, challenge.nonce).then(
        () => {
          relaying = true;
          const rest = head.subarray(end + 1);
          if (rest.length > 0) output.write(rest);
          socket.pipe(output as NodeJS.WritableStream, { end: false });
          input.pipe(socket);
          socket.resume();
        },
        (error: Error) => fail(error),
      );
    };
    socket.on('data', onData);
    socket.on('close', () => {
      if (relaying) resolve();
    });
    input.on('end', () => socket.end());
  });
}
