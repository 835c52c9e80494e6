// Names in a lab: namespace roles and names (<lab>-vm, <lab>-host, …), the lab-name check, the capture
// modes, and {placeholder} rendering of the scenarios' texts.
import { LabError } from './lab-error.ts';

/** ctr: a container inside VM 0 (S9), behind the VM's docker-style bridge. */
export const LAB_ROLES = ['vm', 'host', 'proxy', 'dead', 'ctr'] as const;
/** VM k >= 1 of a scale set lives in the namespace <name>-vm<k> (VM 0 keeps the role `vm`). */
export type ScaleSetRole = `vm${number}`;
export type LabRole = (typeof LAB_ROLES)[number] | ScaleSetRole;

/** The role of scale-set VM k: `vm` for VM 0, else `vm<k>`. */
export function vmRole(index: number): 'vm' | ScaleSetRole {
  return index === 0 ? 'vm' : `vm${index}`;
}

/** True for `vm` and `vm<k>`. */
export function isVmRole(role: string): boolean {
  return role === 'vm' || /^vm[1-9][0-9]*$/.test(role);
}

export { CAPTURE_MODES, type CaptureMode } from '../util/capture-mode.ts';

const NAME = /^[a-z][a-z0-9-]{0,14}$/;

/** Checks a lab name: it prefixes namespace names (`<name>-vm`) and must not end in a role suffix. */
export function checkLabName(name: string): void {
  if (!NAME.test(name) || name.endsWith('-')) {
    throw new LabError('ERR_LAB_NAME', `lab name ${JSON.stringify(name)}: use 1-15 lower-case letters, digits and dashes, starting with a letter`);
  }
  for (const role of LAB_ROLES) {
    if (name.endsWith(`-${role}`)) {
      throw new LabError('ERR_LAB_NAME', `lab name ${JSON.stringify(name)} ends in "-${role}", which would look like another lab's namespace`);
    }
  }
  if (/-vm[0-9]+$/.test(name)) throw new LabError('ERR_LAB_NAME', `lab name ${JSON.stringify(name)} ends in "-vm<N>", which would look like a scale-set VM's namespace`);
}

export function namespaceName(name: string, role: LabRole): string {
  return `${name}-${role}`;
}

/** Replaces {placeholders}; an unknown one is an error naming it. */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{([a-z0-9.]+)\}/gi, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new LabError('ERR_LAB_DATA', `unknown placeholder {${key}} in ${JSON.stringify(text)} (known: ${Object.keys(vars).sort().join(', ')})`);
    return value;
  });
}
