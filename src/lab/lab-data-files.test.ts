// The lab's data files: every scenario parses, and bad files get errors naming the file and field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findScenario, loadBaseTopology, loadScenarios, parseScenario } from './lab-data-files.ts';
import { LabError } from './lab-error.ts';

const minimal = {
  name: 'x',
  title: 'X',
  symptom: 's',
  explanation: 'e',
  fix: 'f',
  fixKind: 'environment',
  expect: { broken: 'timeout', fixed: 'ok' },
  doctor: { broken: 'no-route' },
};

describe('lab data files', () => {
  it('loads the base topology and every scenario', () => {
    const base = loadBaseTopology();
    assert.equal(base.vmRoutes.length, 3);
    const scenarios = loadScenarios();
    assert.equal(scenarios[0]!.name, 'healthy');
    for (const s of scenarios) {
      assert.ok(s.symptom.length > 20 && s.explanation.length > 20 && s.fix.length > 10, s.name);
      if (s.fixKind === 'environment') {
        const fix = s.fixed.routes.length > 0 || Object.keys(s.fixed.env).length > 0 || s.fixed.dns !== undefined || s.fixed.removeForeign === true || s.fixed.ipv6 !== undefined || s.fixed.container !== undefined;
        assert.ok(fix, `${s.name} has a fix to apply`);
      }
    }
  });

  it('names the unknown scenario and lists the known ones', () => {
    assert.throws(() => findScenario('nope'), /unknown scenario "nope" \(known: healthy, /);
  });

  it('names the file and field of a mistake', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...minimal, colour: 1 }, /f\.yaml: scenario\.colour: unknown key/],
      [{ ...minimal, fixKind: 'magic' }, /fixKind: must be one of none, environment, client/],
      [{ ...minimal, name: 'Bad Name' }, /name: must be lower-case/],
      [{ ...minimal, doctor: { broken: 'no-rout' } }, /doctor\.broken: must be one of ok, no-route, /],
      [{ ...minimal, topology: { vm: { routes: [{ to: 'default' }] } } }, /topology\.vm\.routes\[0\]\.dev: must be a non-empty string/],
      [{ ...minimal, topology: { nics: 9 } }, /topology\.nics: must be an integer 1\.\.4/],
      [{ ...minimal, fixed: { routes: [{ ns: 'root', to: 'default', dev: 'eth0' }] } }, /fixed\.routes\[0\]\.ns: must be vm, host or proxy/],
    ];
    for (const [document, message] of cases) {
      assert.throws(() => parseScenario(document, 'f.yaml'), (e: unknown) => e instanceof LabError && message.test(e.message), String(message));
    }
  });
});
