// Tests of the state-directory resolution order shared by the CLI commands.
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { resolveStateDir } from './state-dir.ts';

describe('resolveStateDir', () => {
  it('prefers --state-dir, then IMDS_LAB_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state', () => {
    const env = { IMDS_LAB_STATE_DIR: '/srv/imds', XDG_STATE_HOME: '/xdg', HOME: '/home/u' };
    assert.equal(resolveStateDir('rel/dir', env), resolve('rel/dir'));
    assert.equal(resolveStateDir(undefined, env), '/srv/imds');
    assert.equal(resolveStateDir(undefined, { XDG_STATE_HOME: '/xdg', HOME: '/home/u' }), '/xdg/imds-lab');
    assert.equal(resolveStateDir(undefined, { HOME: '/home/u' }), '/home/u/.local/state/imds-lab');
  });

  it('ignores empty variables and a relative XDG_STATE_HOME; falls back to the account home', () => {
    assert.equal(resolveStateDir('', { IMDS_LAB_STATE_DIR: '', XDG_STATE_HOME: 'relative', HOME: '/h' }), '/h/.local/state/imds-lab');
    assert.equal(resolveStateDir(undefined, {}), resolve(homedir(), '.local/state/imds-lab'));
    assert.equal(resolveStateDir(undefined, { IMDS_LAB_STATE_DIR: 'x' }), resolve('x'));
  });
});
