import { z } from 'zod';
import { type PodDetail, utc } from '../../kubernetes/pod-detail.js';
import { tableText } from '../../slack/views/table.js';
import { positional, text, type Verb } from './verb.js';

/** `/ops pods <service> [pod]`: pod readiness of the service's deployments as a table, or one pod in detail. */
export const podsVerb: Verb<{ service: string; pod?: string }, 'pods'> = {
  name: 'pods',
  usage: 'pods <service> [pod]',
  help: "pod readiness of the service's deployments; with a pod, its containers and recent events",
  args: positional(
    z
      .union([z.tuple([z.string().min(1)]), z.tuple([z.string().min(1), z.string().min(1).max(253)])])
      .transform(([service, pod]) => ({ service, ...(pod ? { pod } : {}) })),
    'Usage: `/ops pods <service>`.',
  ),
  async run({ actor, access, pods }, { service, pod }) {
    await access.requireRead(actor);
    if (pod) {
      const { header, detail } = await pods.pod(actor, service, pod);
      return text(podDetailText(header, detail));
    }
    const { header, table } = await pods.pods(actor, service);
    return { kind: 'table', command: `pods ${service}`, filename: `${service}-pods`, header, table };
  },
};

/** The pod's header, its containers as a table, and its events one a line, newest last. */
function podDetailText(header: string, detail: PodDetail): string {
  const events =
    detail.events.length === 0
      ? '_No recent events._'
      : `\`\`\`\n${detail.events
          .map(
            (event) =>
              `${utc(event.at)}  ${event.type}  ${event.reason}${event.count > 1 ? ` (×${event.count})` : ''}: ${event.message}`,
          )
          .join('\n')
          .replace(/```/g, "'''")}\n\`\`\``;
  return [header, tableText(detail.containers), '*Recent events* (newest last):', events].join('\n');
}
