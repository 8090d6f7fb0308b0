import { z } from 'zod';
import { Duration, formatDuration } from '../../config/duration.js';
import { UserError } from '../../errors.js';
import { LOG_LEVELS, type LogFilter, type LogLevel } from '../../logs/filter.js';
import { logsCommand, logsHeader, renderLogs } from '../../logs/render.js';
import { MAX_TAIL } from '../../logs/service.js';
import { text, type Verb } from './verb.js';

const USAGE_LINE =
  'logs <service> <deployment|compose-service> [since=15m] [grep=TEXT] [level=error] [tail=100]';
const USAGE = `Usage: \`/ops ${USAGE_LINE}\`.`;

/** The window `since=` reads when not given, and the longest it may ask for. */
const DEFAULT_SINCE_MS = 15 * 60_000;
const MAX_SINCE_MS = 24 * 3_600_000;

/** The lines shown when `tail=` is not given, as `docker-compose logs --tail 100` (runbook 003). */
const DEFAULT_TAIL = 100;

/** The longest `grep=` text. */
const MAX_GREP = 200;

const LEVELS = Object.keys(LOG_LEVELS) as [LogLevel, ...LogLevel[]];

/** The named args, each refused with what it must be. */
const Named = z.strictObject({
  since: Duration.refine((ms) => ms >= 1000 && ms <= MAX_SINCE_MS, 'must be from 1s to 24h').optional(),
  grep: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_GREP, `must be at most ${MAX_GREP} characters`)
    .optional(),
  level: z.enum(LEVELS, { error: `must be one of ${LEVELS.join(', ')}` }).optional(),
  tail: z
    .string()
    .regex(/^\d+$/, `must be a number of lines from 1 to ${MAX_TAIL}`)
    .transform(Number)
    .refine((lines) => lines >= 1 && lines <= MAX_TAIL, `must be a number of lines from 1 to ${MAX_TAIL}`)
    .optional(),
});

/** What `/ops logs` asks for, read from its text. */
interface LogsArgs {
  service: string;
  name: string;
  sinceMs: number;
  tail: number;
  filter: LogFilter;
}

/** `/ops logs <service> <deployment|compose-service> …`: the last lines of its containers, filtered in opsbot. */
export const logsVerb: Verb<LogsArgs, 'logs'> = {
  name: 'logs',
  usage: USAGE_LINE,
  help:
    "the last lines of a deployment's pods or a compose service's containers, newest last, secrets redacted " +
    "(for the service's logs.role, viewer unless set)",
  args({ args: [service, name, ...more], named }) {
    if (!service || !name || more.length > 0) throw new UserError(USAGE);
    const read = Named.safeParse(named);
    if (!read.success) throw new UserError(`${problem(read.error)} ${USAGE}`);
    const { since, grep, level, tail } = read.data;
    return {
      service,
      name,
      sinceMs: since ?? DEFAULT_SINCE_MS,
      tail: tail ?? DEFAULT_TAIL,
      filter: { grep, level },
    };
  },
  async run({ actor, access, logs }, asked) {
    await access.requireRead(actor);
    const { service, name } = asked;
    const result = await logs.read({ actor, ...asked });
    const shown = { service, name, since: formatDuration(asked.sinceMs), filter: result.filter };
    const header = logsHeader(shown, result);
    const { text: message, file } = renderLogs({ header, lines: result.lines });
    if (file === undefined) return text(message);
    return {
      kind: 'file',
      text: message,
      file: {
        filename: `${service}-${name}-logs.txt`,
        title: `${service} ${name} logs, last ${shown.since}`,
        comment: `<@${actor}> ran \`/ops ${logsCommand(shown, asked.tail)}\`: ${result.lines.length} lines.`,
        content: file,
      },
    };
  },
};

/** The first problem with the named args, as a sentence: `since= must be from 1s to 24h.` */
function problem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    return `\`/ops logs\` takes no ${issue.keys.map((key) => `${key}=`).join(' or ')}.`;
  }
  return `${String(issue?.path[0])}= ${issue?.message ?? 'is not valid'}.`;
}
