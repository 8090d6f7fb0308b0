import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { replyTo, useConsoleFixture } from '../support/console.js';

const log = createLogger('silent');
const fixture = useConsoleFixture('opsbot_console_modals', log);

describe('opsbot console, modals that open before authorization', () => {
  it('shows the form once it replaces "Checking…", and a refusal as a sentence with no form', async () => {
    const out = await fixture.run(['retry bentham', 'study_abc123', '1'], 'U0ALICE');
    const form = replyTo(out, 'retry bentham');
    expect(form).toContain('opsbot opened a form: retry · bentham');
    expect(form).not.toContain('Checking');
    expect(replyTo(out, '1')).toContain('Succeeded');

    const refused = await fixture.run(['retry bentham'], 'U0NOBODY');
    expect(replyTo(refused, 'retry bentham')).toMatch(
      /== retry · bentham ==\n {2}`retry` on bentham needs operator; @U0NOBODY is viewer/,
    );
    expect(refused).not.toContain('opened a form');
    const { rows } = await fixture.db.query('SELECT requested_by FROM action_runs');
    expect(rows).toEqual([{ requested_by: 'U0ALICE' }]);
  });
});
