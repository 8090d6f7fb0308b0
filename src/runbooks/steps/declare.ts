import type { StepRunner } from '../step-runner.js';

/**
 * Declares an incident for the runbook's service as the runbook's requester (their responder role checked
 * by the incident service). Not safe to repeat: one found already running after a crash fails, asking a
 * person to look, rather than declare a second incident.
 */
export const declareStep: StepRunner<'declare'> = async ({ run, step, fresh, fill }, deps) => {
  if (!fresh) {
    return {
      kind: 'failed',
      reason: 'opsbot stopped while declaring the incident; check whether it exists before going on',
      stop: true,
    };
  }
  const incident = await deps.incidents.declare({
    actor: run.requested_by,
    severity: step.declare.severity,
    title: fill(step.declare.title),
    services: [run.service],
  });
  return {
    kind: 'done',
    result: { incident: incident.id, channel: incident.channel_id },
    line: `declared ${incident.severity} ${incident.id} in <#${incident.channel_id}>`,
  };
};
