import type { CanvasPart } from './canvas-document.js';

/** What the bot showed: a channel message, an edit of one, a response_url answer, or a modal. */
export type Shown =
  | { kind: 'message'; channel: string; ts: string; thread_ts?: string; args: Record<string, unknown> }
  | { kind: 'edit'; channel: string; ts: string; args: Record<string, unknown> }
  | { kind: 'ephemeral'; channel: string; args: Record<string, unknown> }
  | { kind: 'view'; view: Record<string, unknown> }
  | { kind: 'home'; user: string; view: Record<string, unknown> & { id: string } }
  /** A channel's canvas: all of it when created, the sections an edit wrote afterwards. */
  | { kind: 'canvas'; channel: string; title: string; parts: CanvasPart[]; edited: boolean };
