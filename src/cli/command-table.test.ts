// The command table: every line loads the command it names, and every *-command.ts file has a line.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commands } from './command-table.ts';

describe('command table', () => {
  it('each line loads the command of its name, with its usage line', async () => {
    for (const entry of commands) {
      const command = await entry.load();
      assert.equal(command.name, entry.name);
      assert.match(command.help, new RegExp(`^Usage:\\s+imds-lab ${entry.name}\\b`), entry.name);
      assert.ok(entry.summary.length > 10, entry.name);
    }
  });

  it('lists every command file of src/cli', () => {
    const files = readdirSync(fileURLToPath(new URL('.', import.meta.url)))
      .filter((f) => f.endsWith('-command.ts') && f !== 'cli-command.ts')
      .map((f) => f.slice(0, -'-command.ts'.length))
      .sort();
    assert.deepEqual(commands.map((c) => c.name).sort(), files);
  });
});
