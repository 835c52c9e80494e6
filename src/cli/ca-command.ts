// `imds-lab ca`: prints the emulator's root CA certificate (PEM) for `openssl verify -CAfile`, or the issuing
// CA / the chain; creates the PKI in the state directory on first use.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { CliCommand } from './cli-command.ts';
import { resolveStateDir } from './state-dir.ts';
import { loadSigningMaterial } from '../signing/signing-material.ts';
import { systemClock } from '../util/clock.ts';

const HELP = `Usage: imds-lab ca [--state-dir DIR] [--intermediate | --chain] [--out FILE]

Prints the emulator's root CA certificate (PEM): the file to pass to
  openssl verify -CAfile root.pem -untrusted intermediate.pem signer.pem
when verifying an attested document. The PKI is created on first use.

  --state-dir DIR   state directory (default: $IMDS_LAB_STATE_DIR, else $XDG_STATE_HOME/imds-lab,
                    else ~/.local/state/imds-lab); the PKI lives in DIR/pki
  --intermediate    print the issuing CA ("imds-lab Emulator TLS Issuing CA 05") instead: the
                    certificate the docs download from the leaf's CA Issuers URI
  --chain           print the issuing CA followed by the root
  --out FILE        write to FILE instead of standard output

Reference: docs/attested-and-tokens.md`;

export const caCommand: CliCommand = {
  name: 'ca',
  summary: 'print the emulator root CA certificate (for openssl verify -CAfile)',
  help: HELP,
  async run(argv, io) {
    let values: { 'state-dir'?: string; intermediate?: boolean; chain?: boolean; out?: string };
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: {
          'state-dir': { type: 'string' },
          intermediate: { type: 'boolean' },
          chain: { type: 'boolean' },
          out: { type: 'string' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      io.stderr.write(`imds-lab ca: ${(error as Error).message}\n`);
      return 2;
    }
    if (values.intermediate && values.chain) {
      io.stderr.write('imds-lab ca: --intermediate and --chain are mutually exclusive\n');
      return 2;
    }
    const material = await loadSigningMaterial(resolveStateDir(values['state-dir'], io.env), systemClock);
    const pem = values.chain
      ? material.issuingCertificatePem + material.rootCertificatePem
      : values.intermediate
        ? material.issuingCertificatePem
        : material.rootCertificatePem;
    const text = pem.replace(/\r\n/g, '\n');
    if (values.out) await writeFile(values.out, text);
    else io.stdout.write(text);
    return 0;
  },
};
