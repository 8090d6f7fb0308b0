import type { Logger } from '../../log.js';
import { tableCsv } from '../../lookups/show.js';
import type { ResultTable } from '../../result-table.js';
import type { UploadFile } from '../transport/upload-file.js';
import { tableText } from '../views/table.js';

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
 * The `/ops show` and `/ops pods` reply: the rows as a table, and when they do not all fit in the message
 * (or there are many), every row as a CSV file posted in the channel, so the whole result can be shared.
 */
export async function lookupReply(shown: TableReply, upload: UploadFile, log: Logger): Promise<string> {
  const { actor, channel, command, filename, header, table } = shown;
  const text = `${header}\n${tableText(table)}`;
  const fits = !tableText({ ...table, total: table.rows.length }).includes('_Showing ');
  if (table.rows.length <= MAX_SHOWN_ROWS && fits) return text;
  const file = {
    channel,
    filename: `${filename}.csv`,
    title: header.replace(/[*`]/g, ''),
    comment: `<@${actor}> ran \`/ops ${command}\`: ${table.rows.length} rows.`,
    content: tableCsv(table),
  };
  try {
    await upload(file);
    return `${text}\nAll ${table.rows.length} rows are in the CSV file posted in this channel.`;
  } catch (error) {
    log.warn({ err: error }, 'lookup CSV upload failed');
    return `${text}\nThe CSV file with every row could not be uploaded.`;
  }
}
