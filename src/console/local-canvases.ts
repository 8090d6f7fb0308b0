import { type CanvasChange, type CanvasCriteria, CanvasDocument } from './canvas-document.js';
import type { Shown } from './shown.js';

/**
 * Channel canvases for the console's local Slack: conversations.canvases.create, conversations.info (a
 * channel's canvas), canvases.sections.lookup and canvases.edit on canvas documents, each shown as it is
 * written (all of it when created, the sections an edit wrote afterwards).
 */
export class LocalCanvases {
  private readonly canvases = new Map<string, { channel: string; document: CanvasDocument }>();

  constructor(private readonly show: (shown: Shown) => void) {}

  answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    if (method === 'conversations.canvases.create') return this.create(args);
    if (method === 'conversations.info') {
      const channel = String(args.channel ?? '');
      const id = this.idOf(channel);
      return { ok: true, channel: { id: channel, properties: id ? { canvas: { file_id: id } } : {} } };
    }
    const canvas = this.canvases.get(String(args.canvas_id ?? ''));
    if (!canvas) return { ok: false, error: 'canvas_not_found' };
    const { channel, document } = canvas;
    if (method === 'canvases.sections.lookup') {
      const ids = document.lookup((args.criteria ?? {}) as CanvasCriteria);
      return { ok: true, sections: ids.map((id) => ({ id })) };
    }
    const changes = Array.isArray(args.changes) ? (args.changes as CanvasChange[]) : [];
    if (changes.length !== 1) return { ok: false, error: 'invalid_arguments' };
    const before = new Set(document.parts.map((part) => part.id));
    const error = document.apply(changes[0] as CanvasChange);
    if (error) return { ok: false, error };
    const written = document.parts.filter((part) => !before.has(part.id));
    this.show({ kind: 'canvas', channel, title: document.title, parts: written, edited: true });
    return { ok: true };
  }

  private create(args: Record<string, unknown>): Record<string, unknown> {
    const channel = String(args.channel_id ?? '');
    if (this.idOf(channel)) return { ok: false, error: 'channel_canvas_already_exists' };
    const id = `F0CANVAS${this.canvases.size + 1}`;
    const content = args.document_content as { markdown?: string } | undefined;
    const document = new CanvasDocument(id, String(args.title ?? ''), content?.markdown ?? '');
    this.canvases.set(id, { channel, document });
    this.show({ kind: 'canvas', channel, title: document.title, parts: document.parts, edited: false });
    return { ok: true, canvas_id: id };
  }

  private idOf(channel: string): string | undefined {
    return [...this.canvases].find(([, canvas]) => canvas.channel === channel)?.[0];
  }
}
