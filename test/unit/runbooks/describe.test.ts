import { describe, expect, it } from 'vitest';
import { type Step, StepsSchema, type When, WhenSchema } from '../../../src/runbooks/config.js';
import { describeStep, describeWhen } from '../../../src/runbooks/describe.js';

/** Steps as ops.yml gives them, parsed as config check does. */
const steps = (raw: unknown[]): Step[] => StepsSchema.parse(raw);
const when = (raw: unknown): When => WhenSchema.parse(raw);

describe("a runbook step in words (the card's step list, the plan's table)", () => {
  it('says what each step type does', () => {
    expect(
      steps([
        { name: 'restart', action: 'restart' },
        { name: 'jobs', lookup: 'failed-jobs', with: { study: '{study}' } },
        { name: 'api', check: 'api' },
        { name: 'pause', wait: { for: '2m' } },
        { name: 'settle', wait: { until: 'api', timeout: '5m' } },
        { name: 'ask', ask: { text: 'Page the DBA?' } },
        { name: 'note', message: 'Step 2: check the pods with /ops pods bentham.' },
        { name: 'declare', declare: { severity: 'SEV1', title: 'API down' } },
        { name: 'dba', escalate: { to: 'S0DBA' } },
        { name: 'lead', escalate: { to: 'U0ALICE', text: 'the gateway is down' } },
      ]).map((step) => describeStep(step)),
    ).toEqual([
      'run restart',
      'look up failed-jobs',
      'check api',
      'wait 2m',
      'wait until api is healthy (at most 5m)',
      'ask “Page the DBA?”',
      'post a message',
      'declare a SEV1 incident',
      'escalate to <!subteam^S0DBA>',
      'escalate to <@U0ALICE>',
    ]);
  });

  it("gives a question's text as the filler makes it (the running runbook's card fills what it knows)", () => {
    const [ask] = steps([{ name: 'ask', ask: { text: 'Retry {study}?' } }]);
    expect(ask && describeStep(ask, (text) => text.replace('{study}', 'study_abc123'))).toBe(
      'ask “Retry study_abc123?”',
    );
  });

  it('adds its condition: `, if …`', () => {
    const [restart, page] = steps([
      { name: 'restart', action: 'restart', when: { step: 'api', level: ['warning', 'critical'] } },
      { name: 'page', escalate: { to: 'S0DBA' }, when: { step: 'ask', choice: 'yes' } },
    ]);
    expect(restart && describeStep(restart)).toBe('run restart, if api is warning or critical');
    expect(page && describeStep(page)).toBe('escalate to <!subteam^S0DBA>, if ask is yes');
  });

  it('says each kind of condition, all of them joined by and', () => {
    expect(describeWhen(when({ step: 'settle', level: 'critical' }))).toBe('settle is critical');
    expect(describeWhen(when({ step: 'how', choice: ['retry', 'skip'] }))).toBe('how is retry or skip');
    expect(describeWhen(when({ step: 'vacuum', exit_code: [0, 3] }))).toBe('vacuum exited 0 or 3');
    expect(describeWhen(when({ step: 'failed', rows: { gt: 0 } }))).toBe('failed rows > 0');
    expect(describeWhen(when({ step: 'failed', rows: { gt: 2, lt: 10, eq: 5 } }))).toBe(
      'failed rows > 2 and failed rows < 10 and failed rows = 5',
    );
    expect(describeWhen(when({ step: 'inspect', exit_code: 0, rows: { eq: 1 } }))).toBe(
      'inspect exited 0 and inspect rows = 1',
    );
    expect(describeWhen(when({ step: 'pick' }))).toBe('pick succeeded');
  });
});
