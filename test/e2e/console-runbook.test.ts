import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runsAtWork } from '../../src/console/at-work.js';
import { createLogger } from '../../src/log.js';
import { replyTo, useConsoleFixture } from '../support/console.js';
import { testConfigText } from '../support/harness.js';

/** A runbook with a choice and a typed value, on the test-only annotate action (low risk: no Confirm). */
const config = parse(testConfigText());
config.services.bentham.actions.triage = {
  kind: 'runbook',
  summary: "Triage a study's failed jobs",
  params: { study: { type: 'string', pattern: '^study_[a-z0-9]+$' } },
  steps: [
    { name: 'how', ask: { text: 'How should *{study}* be handled?', choices: ['annotate', 'leave'] } },
    {
      name: 'why',
      ask: { text: 'Why did {study} fail?', input: { label: 'Reason', pattern: '^[a-z ]{3,40}$' } },
      when: { step: 'how', choice: 'annotate' },
    },
    { name: 'annotate', action: 'annotate', with: { message: 'triage: {why.value}' }, when: { step: 'why' } },
  ],
};
const fixture = useConsoleFixture('opsbot_console_runbook', createLogger('silent'), stringify(config));

/** The transcript from the first line containing `from` on, for what came after a given moment. */
function onwards(transcript: string, from: string): string {
  const at = transcript.indexOf(from);
  expect(at, `"${from}" was printed`).toBeGreaterThanOrEqual(0);
  return transcript.slice(at);
}

describe('opsbot console, a runbook question', () => {
  it('shows the question with its Answer button, asks the modal as prompts, and refuses a bad value', async () => {
    const out = await fixture.run(
      [
        'triage bentham study_abc123',
        '1', // Answer
        '1', // annotate
        '1', // Answer the next question
        'Bad!',
        'flaky runner',
        'triage bentham study_other1',
        '2', // Cancel, the card's button numbered after the question's Answer
        'triage bentham study_waits1',
      ],
      'U0ALICE',
    );
    // The question in the card's thread keeps [1] for its Answer button; the card edited after it, [2] Cancel.
    const asked = replyTo(out, 'triage bentham study_abc123');
    expect(asked).toMatch(
      /opsbot \[C0OPS, in thread\]:\n {2}❓ How should \*study_abc123\* be handled\?\n {2}\[1\] Answer\n/,
    );
    expect(onwards(asked, '❓ How should')).toMatch(
      /\(edited\) \*triage\* on \*bentham\*[\s\S]*\n {2}\[2\] Cancel\n/,
    );
    expect(onwards(asked, '❓ How should')).not.toMatch(/\[1\] Cancel/);

    // Answer opens the modal as a form: the question, then its one input as a numbered choice.
    const form = replyTo(out, '1');
    expect(form).toContain(
      'opsbot opened a form: Runbook question (answer each prompt; /cancel closes it)\n' +
        '  How should *study_abc123* be handled?\n',
    );
    expect(form).toContain('? Your answer\n  [1] annotate  [2] leave\n');
    expect(onwards(out, '? 1\n')).toContain(
      '(edited) ❓ How should *study_abc123* be handled?\n  Answered *annotate* by @U0ALICE.',
    );

    // The typed reason: refused in place when it does not match, then taken and used by the annotate step.
    expect(out).toContain('  ! answer: Must match ^[a-z ]{3,40}$.\n? Reason');
    expect(out).toContain('Answered *flaky runner* by @U0ALICE.');
    expect(out).toContain('*annotate* on *bentham* study=`study_abc123` message=`triage: flaky runner`');
    expect(out).toContain('*Result:* 3 steps done, 0 skipped.');
    const { rows } = await fixture.bentham.query(
      "SELECT DISTINCT error_message FROM jobs WHERE study_id = 'study_abc123' AND status = 'failed'",
    );
    expect(rows).toEqual([{ error_message: 'triage: flaky runner' }]);

    // Cancel pressed by its number while the question waits: the runbook ends there.
    expect(replyTo(out, '2')).toContain('*Error:* Cancelled by @U0ALICE between steps.');

    // A runbook waiting for an answer is not work the console waits for; one answered or between steps is.
    const waiting = await fixture.db.query(
      "SELECT count(*)::int AS n FROM action_runs WHERE kind = 'runbook' AND state = 'running'",
    );
    expect(waiting.rows[0].n).toBe(1);
    expect(await runsAtWork(fixture.db)).toBe(0);
    await fixture.db.query(
      'UPDATE runbook_steps SET result = \'{"choice":"leave"}\' WHERE name = \'how\' AND result IS NULL',
    );
    expect(await runsAtWork(fixture.db)).toBe(1);
  }, 25_000);
});
