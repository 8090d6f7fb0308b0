import { UserError } from '../../errors.js';
import { INCIDENT_ROLES, type IncidentRole } from '../../incidents/incident.js';
import { catchUpMessage } from '../../slack/views/catch-up.js';
import { declareModal, updateModal } from '../../slack/views/incident-modals.js';
import { userIdOf } from '../mention.js';
import type { ParsedCommand } from '../parse.js';
import { textAfter } from '../parse.js';
import { text, type Verb } from './verb.js';

const USAGE =
  'Usage: `/ops incident declare <SEV> <title>` · `incident sev <SEV>` · `incident role <commander|scribe|comms> @user` · `incident update` · `incident resolve <summary>` · `incident catchup` · `incident export`.';

/** One step of an incident's lifecycle (DESIGN §5), as typed after `/ops incident`. */
type IncidentStep =
  | { step: 'declare'; severity: string; title: string; services: string[] }
  | { step: 'declare-form' }
  | { step: 'sev'; severity: string }
  | { step: 'role'; role: IncidentRole; user: string }
  | { step: 'update-form' }
  | { step: 'resolve'; summary: string }
  | { step: 'catchup' }
  | { step: 'export' };

/** `/ops incident declare|sev|role|update|resolve|catchup|export …`: the incident lifecycle; all but declare in its channel. */
export const incidentVerb: Verb<IncidentStep, 'incident'> = {
  name: 'incident',
  usage: 'incident declare <SEV> <title> · in its channel: incident sev|role|update|resolve|catchup|export …',
  help: 'start an incident (a form without arguments), then run it from its channel',
  args: readStep,
  async run({ actor, channel, config, incidents }, args) {
    switch (args.step) {
      case 'declare': {
        const { severity, title, services } = args;
        const incident = await incidents.declare({ actor, severity, title, services });
        return text(
          `Declared ${incident.id} (${incident.severity}): <#${incident.channel_id}>. You are its commander.`,
        );
      }
      case 'declare-form':
        // Nothing is checked before this form (config only): it opens at once; the submission is authorized.
        return { kind: 'view', view: declareModal(channel, config.incidents.severities) };
      case 'sev':
        await incidents.setSeverity(actor, channel, args.severity);
        return { kind: 'none' };
      case 'role':
        await incidents.assignRole(actor, channel, args.role, args.user);
        return { kind: 'none' };
      case 'update-form':
        // One indexed PostgreSQL read, no authorization (the submission is authorized): open it directly.
        return { kind: 'view', view: updateModal(channel, await incidents.incidentIn(channel)) };
      case 'resolve':
        await incidents.resolve(actor, channel, args.summary);
        return { kind: 'none' };
      case 'catchup': {
        const shown = catchUpMessage(await incidents.catchUp(actor, channel));
        return text(shown.text, shown.blocks);
      }
      case 'export': {
        const { incident, markdown } = await incidents.export(actor, channel);
        return {
          kind: 'file',
          text: `The timeline of ${incident.id} with a post-incident review skeleton, as Markdown.`,
          file: {
            filename: `${incident.channel_name}-timeline.md`,
            title: `Timeline and review: ${incident.title}`,
            comment: `<@${actor}> exported the timeline (\`/ops incident export\`).`,
            content: markdown,
          },
        };
      }
    }
  },
};

function readStep({ args, named, raw }: ParsedCommand): IncidentStep {
  const [step, first, second, ...rest] = args;
  switch (step) {
    case 'declare': {
      if (first === undefined) return { step: 'declare-form' };
      const title = textAfter(raw.replace(/(^|\s)services?=\S+/g, ' '), 3);
      if (!title) throw new UserError('Give the incident a title: `/ops incident declare SEV2 <title>`.');
      const services = (named.services ?? named.service ?? '').split(',').filter(Boolean);
      return { step, severity: first, title, services };
    }
    case 'sev':
      if (first === undefined || second !== undefined)
        throw new UserError('Usage: `/ops incident sev <SEV>`.');
      return { step, severity: first };
    case 'role': {
      const user = second === undefined ? undefined : userIdOf(second);
      const role = INCIDENT_ROLES.find((name) => name === first);
      if (!role || !user || rest.length > 0) {
        throw new UserError('Usage: `/ops incident role <commander|scribe|comms> @user`.');
      }
      return { step, role, user };
    }
    case 'update':
      return { step: 'update-form' };
    case 'resolve': {
      const summary = textAfter(raw, 2);
      if (!summary) throw new UserError('Say how it ended: `/ops incident resolve <summary>`.');
      return { step, summary };
    }
    case 'catchup':
    case 'export':
      if (first !== undefined)
        throw new UserError(`Usage: \`/ops incident ${step}\` in the incident channel.`);
      return { step };
    default:
      throw new UserError(USAGE);
  }
}
