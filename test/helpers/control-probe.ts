// A runnable probe for the control-socket barrier test: connects to the control socket given as argv[2] and
// prints "connected" after a ping, or the error code (e.g. ERR_CONTROL_NAMESPACE from another network namespace).
import { ControlClient } from '../../src/control/control-client.ts';

async function main(): Promise<void> {
  try {
    const client = await ControlClient.connect(process.argv[2]!, { timeoutMs: 3000 });
    const pong = await client.ping();
    process.stdout.write(pong.pong ? 'connected\n' : 'no-pong\n');
    await client.close();
  } catch (error) {
    process.stdout.write(`${(error as { code?: string }).code ?? 'error'}\n`);
    process.stderr.write(`${(error as Error).message}\n`);
  }
}

void main();
