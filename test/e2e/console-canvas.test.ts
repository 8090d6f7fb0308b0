import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { replyTo, useConsoleFixture } from '../support/console.js';
import { eventually } from '../support/databases.js';

const log = createLogger('silent');
const fixture = useConsoleFixture('opsbot_console_canvas', log);

describe('opsbot console and the incident canvas', () => {
  it('shows the canvas as sections when it is created, then each section an edit rewrote', async () => {
    const incident = async () =>
      (await fixture.db.query("SELECT * FROM incidents WHERE title = 'Canvas in the console'")).rows[0] as
        | Record<string, string>
        | undefined;
    async function* script() {
      yield 'incident declare SEV3 Canvas in the console';
      await eventually(async () => expect(await incident()).toBeDefined());
      yield `/channel #${(await incident())?.channel_name}`;
      yield 'incident sev SEV2';
      yield 'incident catchup';
    }
    const out = await fixture.run(script(), 'U0ALICE');
    const row = await incident();
    const channel = `#${row?.channel_name}`;
    const declared = replyTo(out, 'incident declare SEV3 Canvas in the console');
    expect(declared).toContain(`opsbot [${channel} canvas: ${row?.id}: Canvas in the console]:`);
    expect(declared).toContain('== Severity and status (kept by opsbot) ==');
    expect(declared).toContain('- Severity: SEV3 (Minor degradation)');
    // Canvas mentions read as the console's other messages do.
    expect(declared).toContain('- Commander: @U0ALICE');
    expect(declared).toContain(`in ${channel}.`);
    const changed = replyTo(out, 'incident sev SEV2');
    expect(changed).toContain(`opsbot [${channel} canvas, edited]:`);
    expect(changed).toContain('- Severity: SEV2 (Major degradation)');
    // Only the sections the change rewrote are shown again.
    expect(changed).not.toContain('== Roles (kept by opsbot) ==');
    const caughtUp = replyTo(out, 'incident catchup');
    expect(caughtUp).toContain('(only visible to you)');
    expect(caughtUp).toContain(`Catch-up on ${row?.id}`);
  });
});
