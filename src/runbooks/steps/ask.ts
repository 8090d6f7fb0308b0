import { formatDuration } from '../../config/duration.js';
import type { Run } from '../../runs/run.js';
import type { Question } from '../ports.js';
import type { StepInput, StepRunner } from '../step-runner.js';

/**
 * A question to a person (StackStorm's inquiry): posted once in the runbook's thread with an Answer button
 * that opens a modal (a choice, a yes/no confirmation, or a value to type). Done when someone who may run
 * the runbook answers (the answer is recorded in the step's row by RunbookStore.answer); failed when nobody
 * has by its timeout. Its deadline is kept in the row, so the question survives restarts.
 */
export const askStep: StepRunner<'ask'> = async (input, deps) => {
  const { run, row, now } = input;
  const deadline = row.deadline_at ?? new Date(now.getTime() + input.step.ask.timeout);
  const question = questionOf(input, deadline);
  if (row.deadline_at === null) {
    await deps.store.progress(run.id, row.position, { deadlineAt: deadline });
    await deps.posts.ask(run, question);
  }
  const answer = row.result;
  if (answer?.by) {
    const said = answer.choice ?? answer.value ?? '';
    await deps.posts.closeQuestion(run, question, `Answered *${said}* by <@${answer.by}>.`);
    return { kind: 'done', result: answer, line: `<@${answer.by}> answered ${said}` };
  }
  if (now >= deadline) {
    const reason = `nobody answered “${question.text}” within ${formatDuration(input.step.ask.timeout)}`;
    await deps.posts.closeQuestion(run, question, 'Nobody answered in time.');
    return { kind: 'failed', reason };
  }
  return {
    kind: 'blocked',
    wakeAt: new Date(Math.min(now.getTime() + deps.pollMs, deadline.getTime())),
    detail: `waiting for an answer in the thread (until ${deadline.toISOString().slice(11, 16)} UTC)`,
  };
};

/**
 * The question as Slack shows it: yes/no when it has neither choices nor input. Also what the Answer button's
 * modal is built from (src/runbooks/answers.ts), so the two never differ.
 */
export function questionOf(
  input: Pick<StepInput<'ask'>, 'step' | 'fill'> & { run: Pick<Run, 'id'> },
  deadline: Date,
): Question {
  const { ask } = input.step;
  return {
    runId: input.run.id,
    step: input.step.name,
    text: input.fill(ask.text),
    ...(ask.choices ? { choices: ask.choices } : {}),
    ...(ask.input ? { input: ask.input } : {}),
    ...(!ask.choices && !ask.input ? { choices: ['yes', 'no'], confirm: true } : {}),
    deadline,
  };
}
