import type { StepRunner } from '../step-runner.js';

/**
 * Escalates to a Slack user group or user: mentioned in the incident's channel (the one an earlier declare
 * step made, or the one the runbook runs in) and written on its timeline; with no incident, mentioned in the
 * runbook's thread. Posted once per step, so a resumed runbook does not mention twice.
 */
export const escalateStep: StepRunner<'escalate'> = async ({ run, step, rows, fill }, deps) => {
  const { to } = step.escalate;
  const mention = to.startsWith('S') ? `<!subteam^${to}>` : `<@${to}>`;
  const why = step.escalate.text ? fill(step.escalate.text) : `asked for by ${run.action} on ${run.service}`;
  const text = `:rotating_light: ${mention}, you are escalated to: ${why} (runbook started by <@${run.requested_by}>).`;
  const declared = rows.find((row) => row.type === 'declare' && row.result?.incident)?.result;
  const incident = declared?.incident
    ? await deps.incidentStore.get(declared.incident)
    : await deps.incidentStore.byChannel(run.channel_id);
  const key = `runbook:${run.id}:${step.name}:escalate`;
  if (!incident) {
    await deps.posts.note(run, key, text);
    return { kind: 'done', line: `escalated to ${mention} in this thread (no incident channel)` };
  }
  await deps.posts.announce(incident.channel_id, key, text);
  await deps.incidentStore.addEvent(incident.id, {
    kind: 'escalation',
    at: new Date(),
    actor: run.requested_by,
    text: `Escalated to ${mention} by runbook ${run.action}: ${why}`,
    source: key,
  });
  return {
    kind: 'done',
    result: { incident: incident.id },
    line: `escalated to ${mention} in <#${incident.channel_id}>`,
  };
};
