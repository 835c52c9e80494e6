// A client that never proves its namespace and pushes big lines at the control socket (issue 11 point 5):
// reports how many bytes the daemon took before it closed the connection. Runnable (argv: socket lines bytes).
import net from 'node:net';

export interface FloodResult {
  /** Bytes the client tried to send. */
  readonly offered: number;
  /** Bytes the kernel took from the client (write callbacks that succeeded). */
  readonly flushed: number;
  /** The daemon's last line before it closed (e.g. ERR_CONTROL_NAMESPACE), or undefined. */
  readonly answer: string | undefined;
}

export function floodBeforeProof(socketPath: string, lines: number, lineBytes: number): Promise<FloodResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const line = Buffer.alloc(lineBytes, 0x78);
    line[lineBytes - 1] = 0x0a;
    let flushed = 0;
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('error', () => {});
    socket.once('connect', () => {
      // The same Buffer each time: the client holds one line in memory, not all of them.
      for (let i = 0; i < lines; i++) socket.write(line, (error) => void (error ? undefined : (flushed += lineBytes)));
    });
    socket.once('close', () => {
      const answers = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { type?: string; error?: { code: string } });
      resolve({ offered: lines * lineBytes, flushed, answer: answers.find((a) => a.error)?.error?.code });
    });
  });
}

if (process.argv[1]?.endsWith('control-flood.ts')) {
  const [path, lines, bytes] = process.argv.slice(2);
  const result = await floodBeforeProof(path!, Number(lines), Number(bytes));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
