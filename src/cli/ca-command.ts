// `imds-lab ca`: prints the emulator's root CA certificate (PEM) for `openssl verify -CAfile`, or the issuing
// CA / the chain; creates the PKI in the state directory on first use. `--lab N`: the PKI that lab's responder signs with.
import { writeFile } from 'node:fs/promises';
import { LabError } from '../lab/lab-error.ts';
import { labStateDir, readLabState } from '../lab/lab-state.ts';
import { processRunner } from '../process/process-runner.ts';
import { loadSigningMaterial } from '../signing/signing-material.ts';
import { systemClock } from '../util/clock.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { cliInvocation } from './cli-invocation.ts';
import { labUsageError, parseFlags } from './cli-options.ts';
import { requireRoot, stateRoot } from '../lab/lab-setup.ts';
import { parseName } from './lab-cli-support.ts';
import { resolveStateDir } from './state-dir.ts';

const HELP = `Usage: imds-lab ca [--state-dir DIR | --lab NAME] [--intermediate | --chain] [--out FILE]

Prints the emulator's root CA certificate (PEM): the file to pass to
  openssl verify -CAfile root.pem -untrusted intermediate.pem signer.pem
when verifying an attested document. The PKI is created on first use.

  --state-dir DIR   state directory (default: $IMDS_LAB_STATE_DIR, else $XDG_STATE_HOME/imds-lab,
                    else ~/.local/state/imds-lab); the PKI lives in DIR/pki
  --lab NAME        the PKI the responder of lab NAME signs with (a lab keeps it under its run
                    directory, not in the default state directory; needs root like the lab commands)
  --intermediate    print the issuing CA ("imds-lab Emulator TLS Issuing CA 05") instead: the
                    certificate the docs download from the leaf's CA Issuers URI
  --chain           print the issuing CA followed by the root
  --out FILE        write to FILE instead of standard output

Reference: docs/attested-and-tokens.md`;

/** The --state-dir the responder of lab `name` was started with (from the lab state's process argv). */
export function labResponderStateDir(env: NodeJS.ProcessEnv, name: string): string {
  const state = readLabState(processRunner, labStateDir(stateRoot(env), name));
  if (!state) throw new LabError('ERR_LAB_NOT_UP', `no lab named "${name}" is up (start one with: ${cliInvocation()} up --name ${name})`);
  for (const process of state.processes) {
    const i = process.argv.indexOf('--state-dir');
    if (process.argv.includes('serve') && i >= 0 && process.argv[i + 1]) return process.argv[i + 1]!;
  }
  throw new LabError('ERR_LAB_STATE', `lab ${name} records no responder with a --state-dir (see ${cliInvocation()} status --name ${name})`);
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseFlags(
    argv,
    { 'state-dir': { type: 'string' }, lab: { type: 'string' }, intermediate: { type: 'boolean' }, chain: { type: 'boolean' }, out: { type: 'string' } },
  );
  if (values.intermediate && values.chain) throw labUsageError('--intermediate and --chain are mutually exclusive');
  if (values.lab !== undefined && values['state-dir'] !== undefined) throw labUsageError('--lab and --state-dir are mutually exclusive (the lab decides where its PKI is)');
  let stateDir: string;
  if (values.lab !== undefined) {
    const name = parseName(values.lab);
    requireRoot('imds-lab ca --lab');
    stateDir = labResponderStateDir(io.env, name);
  } else {
    stateDir = resolveStateDir(values['state-dir'], io.env);
  }
  const material = await loadSigningMaterial(stateDir, systemClock);
  const pem = values.chain
    ? material.issuingCertificatePem + material.rootCertificatePem
    : values.intermediate
      ? material.issuingCertificatePem
      : material.rootCertificatePem;
  const text = pem.replace(/\r\n/g, '\n');
  if (values.out) await writeFile(values.out, text);
  else io.stdout.write(text);
  return 0;
}

export const caCommand: CliCommand = { name: 'ca', help: HELP, run };
