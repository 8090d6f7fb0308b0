import { describe, expect, it } from 'vitest';
import { fieldValue, formFields, stateValues } from '../../../src/console/modal-form.js';
import { buttonLine, plainMrkdwn, renderMessage } from '../../../src/console/render.js';

describe('console rendering', () => {
  it('renders headers, sections with fields, context and numbered buttons', () => {
    const { lines, buttons } = renderMessage(
      {
        text: 'fallback',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: 'Digest' } },
          {
            type: 'section',
            text: { type: 'mrkdwn', text: '*retry* by <@U0ALICE>' },
            fields: [{ text: 'a' }],
          },
          { type: 'context', elements: [{ type: 'mrkdwn', text: ':white_check_mark: in <#C0INC1>' }] },
          {
            type: 'actions',
            block_id: 'run:run_1',
            elements: [
              { type: 'button', action_id: 'run_confirm', value: 'run_1', text: { text: 'Confirm' } },
              { type: 'button', action_id: 'run_cancel', value: 'run_1', text: { text: 'Cancel' } },
            ],
          },
        ],
      },
      (id) => (id === 'C0INC1' ? '#inc-x' : id),
    );
    expect(lines).toEqual(['== Digest ==', '*retry* by @U0ALICE', '  a', '  ✅ in #inc-x']);
    expect(buttons[0]).toEqual({
      label: 'Confirm',
      action_id: 'run_confirm',
      block_id: 'run:run_1',
      value: 'run_1',
    });
    expect(buttonLine(buttons)).toBe('[1] Confirm  [2] Cancel');
  });

  it('shows a table block as aligned rows and a chart as a small table of its values', () => {
    const { lines } = renderMessage({
      text: 'fallback',
      blocks: [
        {
          type: 'table',
          rows: [
            [
              { type: 'raw_text', text: 'id' },
              { type: 'raw_text', text: 'status' },
            ],
            [
              { type: 'raw_text', text: '1' },
              {
                type: 'rich_text',
                elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'failed' }] }],
              },
            ],
          ],
        },
        {
          type: 'data_visualization',
          title: 'Runs per day',
          chart: {
            type: 'bar',
            series: [
              { name: 'Incidents', data: [{ label: '11-01', value: 2 }] },
              {
                name: 'Action runs',
                data: [
                  { label: '11-01', value: 14 },
                  { label: '11-02', value: 3 },
                ],
              },
            ],
            axis_config: { categories: ['11-01', '11-02'] },
          },
        },
      ],
    });
    expect(lines).toEqual([
      '  id  status',
      '  --  ------',
      '  1   failed',
      'Runs per day (bar chart)',
      '         Incidents  Action runs',
      '  -----  ---------  -----------',
      '  11-01  2          14',
      '  11-02             3',
    ]);
  });

  it('falls back to text and unescapes links', () => {
    expect(renderMessage({ text: 'see <https://x.example|the runbook> &amp; more' }).lines).toEqual([
      'see the runbook (https://x.example) & more',
    ]);
    expect(plainMrkdwn('time 22:14:05 :unknown_code:')).toBe('time 22:14:05 :unknown_code:');
  });

  it('shows code blocks (plan and lookup tables) indented, without their fences', () => {
    const text = '*Plan:* 2 rows would be affected.\n```id  error\n--  -----\n1   timeout\n```\nafter';
    expect(renderMessage({ text }).lines).toEqual([
      '*Plan:* 2 rows would be affected.',
      '  id  error',
      '  --  -----',
      '  1   timeout',
      'after',
    ]);
  });
});

describe('console forms', () => {
  const view = {
    blocks: [
      {
        type: 'input',
        block_id: 'severity',
        label: { text: 'Severity' },
        element: {
          type: 'static_select',
          action_id: 'value',
          options: [
            { value: 'SEV1', text: { text: 'SEV1: Outage' } },
            { value: 'SEV2', text: { text: 'SEV2: Major' } },
          ],
        },
      },
      {
        type: 'input',
        block_id: 'title',
        label: { text: 'Title' },
        element: { type: 'plain_text_input', action_id: 'value', initial_value: 'x' },
      },
    ],
  };

  it('reads selects by number, value or text, keeps initial values, and submits Slack state', () => {
    const [severity, title] = formFields(view);
    if (!severity || !title) throw new Error('two fields expected');
    expect(fieldValue(severity, '2')).toBe('SEV2');
    expect(fieldValue(severity, 'sev1: outage')).toBe('SEV1');
    expect(fieldValue(severity, '9')).toBeUndefined();
    expect(fieldValue(title, '')).toBe('x');
    expect(
      stateValues(
        [severity, title],
        new Map([
          ['severity', 'SEV2'],
          ['title', 'Down'],
        ]),
      ),
    ).toEqual({
      severity: {
        value: {
          type: 'static_select',
          selected_option: { value: 'SEV2', text: { type: 'plain_text', text: 'SEV2: Major' } },
        },
      },
      title: { value: { type: 'plain_text_input', value: 'Down' } },
    });
  });
});
