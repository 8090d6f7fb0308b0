import type { KnownBlock, View } from '@slack/types';
import type { z } from 'zod';
import type { AccessRequests } from '../../access/service.js';
import type { AccessService } from '../../auth/access.js';
import type { OpsConfig } from '../../config/ops-config.js';
import type { DigestService } from '../../digest/service.js';
import { UserError } from '../../errors.js';
import type { FollowupService } from '../../followups/service.js';
import type { StatusService } from '../../health/status.js';
import type { IncidentService } from '../../incidents/service.js';
import type { PodsService } from '../../kubernetes/show-pods.js';
import type { LogsService } from '../../logs/service.js';
import type { LookupService } from '../../lookups/show.js';
import type { OnCallService } from '../../pagerduty/oncall.js';
import type { ResultTable } from '../../result-table.js';
import type { HistoryService } from '../../runs/history.js';
import type { RunService } from '../../runs/service.js';
import type { ParsedCommand } from '../parse.js';

/** The core services a verb may call: never an SDK, SQL or a target system directly. */
export interface VerbServices {
  config: OpsConfig;
  access: AccessService;
  runs: RunService;
  lookups: LookupService;
  status: StatusService;
  pods: PodsService;
  logs: LogsService;
  history: HistoryService;
  incidents: IncidentService;
  oncall: OnCallService;
  digest: DigestService;
  /** `/ops elevate` and `/ops access`: just-in-time grants. */
  accessRequests: AccessRequests;
  /** `/ops followup` and `/ops followups`. */
  followups: FollowupService;
}

/** Who typed the command, where, the trigger_id a modal may open on (3 s), and the core. */
export interface CommandContext extends VerbServices {
  actor: string;
  channel: string;
  triggerId: string;
}

/** What a verb runs with: the command's context, and every verb's usage and help line (for `help`). */
export interface VerbContext extends CommandContext {
  verbs: readonly Pick<Verb<NoArgs>, 'usage' | 'help'>[];
}

/** The args of a verb that takes none. */
export type NoArgs = Record<never, never>;

/** What a verb answers, as data; the slash-command handler turns it into Slack calls. */
export type VerbReply =
  /** An ephemeral message to the person who typed the command. */
  | { kind: 'text'; text: string; blocks?: KnownBlock[] }
  /** Rows shown as a table, and posted in full as a CSV file when they do not fit (`show`, `pods`). */
  | { kind: 'table'; command: string; filename: string; header: string; table: ResultTable }
  /** A modal opened at once: nothing slow was checked before it. */
  | { kind: 'view'; view: View }
  /** A modal that says "Checking…" at once and becomes the view `build` makes once it is authorized. */
  | { kind: 'checked-modal'; title: string; build: () => Promise<View> }
  /** An ephemeral message showing part of an answer, and the whole of it as a file posted in the channel (`logs`). */
  | {
      kind: 'file';
      text: string;
      file: { filename: string; title: string; comment: string; content: string };
    }
  /** Nothing to say to the person: the answer is posted elsewhere (a run card, the incident channel). */
  | { kind: 'none' };

/** One `/ops` verb: its name, what help says about it, how its args are read, and what it does. */
export interface Verb<A extends object, N extends string = string> {
  name: N;
  /** What follows `/ops` in help: `status [service]`. */
  usage: string;
  /** One line: what the verb does, and who may use it when that is not everyone. */
  help: string;
  /** The typed args of the parsed text; wrong args throw a UserError saying the usage. */
  args(parsed: ParsedCommand, config: OpsConfig): A;
  run(ctx: VerbContext, args: A): Promise<VerbReply>;
}

/** An ephemeral text reply. */
export function text(message: string, blocks?: KnownBlock[]): VerbReply {
  return { kind: 'text', text: message, ...(blocks ? { blocks } : {}) };
}

/** Reads a verb's positional args with `schema`; any it refuses is a UserError with `usage`. */
export function positional<T>(schema: z.ZodType<T>, usage: string): (parsed: ParsedCommand) => T {
  return ({ args }) => {
    const read = schema.safeParse(args);
    if (!read.success) throw new UserError(usage);
    return read.data;
  };
}
