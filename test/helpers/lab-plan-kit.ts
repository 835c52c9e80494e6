// Test helpers for the lab's unit tests: planning options for the default profile (no I/O besides netns/).
import { DEFAULT_PROFILE } from '../../src/config/default-profile.ts';
import type { VmProfile } from '../../src/config/vm-profile.ts';
import { findScenario, loadBaseTopology } from '../../src/lab/lab-data-files.ts';
import type { CaptureMode } from '../../src/lab/lab-naming.ts';
import { planLab, type LabPlan, type PlanOptions } from '../../src/lab/plan-lab.ts';

export function planOptions(scenario: string, overrides: Partial<Omit<PlanOptions, 'scenario'>> = {}): PlanOptions {
  return {
    name: 'imds',
    scenario: findScenario(scenario),
    base: loadBaseTopology(),
    fixed: false,
    capture: 'socket' as CaptureMode,
    stateDir: '/run/imds-lab/imds',
    serveStateDir: '/run/imds-lab/.responder',
    selfCommand: ['/usr/bin/node', '/opt/imds-lab/dist/src/cli/main.js'],
    profileFile: null,
    pcapFile: null,
    dhclientScript: '/opt/imds-lab/netns/dhclient-script',
    ...overrides,
  };
}

export function plan(scenario: string, overrides: Partial<Omit<PlanOptions, 'scenario'>> = {}, profile: VmProfile = DEFAULT_PROFILE): LabPlan {
  return planLab(profile, planOptions(scenario, overrides));
}
