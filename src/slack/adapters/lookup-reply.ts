import type { KnownBlock } from '@slack/types';
import type { Logger } from '../../log.js';
import { tableCsv } from '../../lookups/show.js';
import type { ResultTable } from '../../result-table.js';
import type { UploadFile } from '../transport/upload-file.js';
import { clip, LIMITS } from '../views/limits.js';
import { tableBlocks, tableText } from '../views/table.js';

/** Rows a reply shows before the whole result also goes to a CSV file. */
const MAX_SHOWN_ROWS = 20;

/** A table to show in reply to a command, and what the command was (`show bentham study`, `pods bentham`). */
export interface TableReply {
  actor: string;
  channel: string;
  command: string;
  /** The CSV file's name, without `.csv`, when the rows do not fit. */
  filename: string;
  header: string;
  table: ResultTable;
}

/**
 * A reply as text (the rows as monospaced text: what a client without table blocks, or a Slack that refuses
 * them, shows) and, when the rows fit one, blocks with a table block.
 */
export interface TableAnswer {
  text: string;
  blocks?: KnownBlock[];
}

/**
 * The `/ops show` and `/ops pods` reply: the rows as a table (a table block where they fit one, else monospaced
 * text), and when they do not all fit in the message (or there are many), every row as a CSV file posted in the
 * channel, so the whole result can be shared.
 */
export async function lookupReply(shown: TableReply, upload: UploadFile, log: Logger): Promise<TableAnswer> {
  const { header, table } = shown;
  const rows = tableText(table);
  const csv = await allRowsAsCsv(shown, upload, log);
  const text = [header, rows, ...(csv ? [csv] : [])].join('\n');
  const blocks = tableBlocks(table);
  if (!blocks) return { text };
  return { text, blocks: [section(header), ...blocks, ...(csv ? [section(csv)] : [])] };
}

/**
 * When the rows do not all fit the monospaced text (or there are more than MAX_SHOWN_ROWS), posts every row as a
 * CSV file in the channel and returns the line that says so (or that it failed); undefined when not needed.
 */
async function allRowsAsCsv(shown: TableReply, upload: UploadFile, log: Logger): Promise<string | undefined> {
  const { actor, channel, command, filename, header, table } = shown;
  const fits = !tableText({ ...table, total: table.rows.length }).includes('_Showing ');
  if (table.rows.length <= MAX_SHOWN_ROWS && fits) return undefined;
  const file = {
    channel,
    filename: `${filename}.csv`,
    title: header.replace(/[*`]/g, ''),
    comment: `<@${actor}> ran \`/ops ${command}\`: ${table.rows.length} rows.`,
    content: tableCsv(table),
  };
  try {
    await upload(file);
    return `All ${table.rows.length} rows are in the CSV file posted in this channel.`;
  } catch (error) {
    log.warn({ err: error }, 'lookup CSV upload failed');
    return 'The CSV file with every row could not be uploaded.';
  }
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } };
}
