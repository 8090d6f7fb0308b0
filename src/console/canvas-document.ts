/** One section of a canvas: a heading with what follows it up to the next heading, or text before any heading. */
export interface CanvasPart {
  id: string;
  type: 'h1' | 'h2' | 'h3' | 'text';
  markdown: string;
}

/** One change of canvases.edit (Slack takes one per call). */
export interface CanvasChange {
  operation?: string;
  section_id?: string;
  document_content?: { type?: string; markdown?: string };
}

/** canvases.sections.lookup's criteria. */
export interface CanvasCriteria {
  section_types?: string[];
  contains_text?: string;
}

const HEADING = /^(#{1,3})\s+(.*)$/;

/**
 * A canvas as the Web API edits it, for the console's local Slack and the tests' fake: Markdown split into
 * sections at its headings (h1–h3), each with an id; lookups by heading type and text; the edit operations
 * (replace, insert before/after/at start/at end, delete), each on one section. A replaced or inserted
 * section gets a new id, as nothing promises the old one is kept.
 */
export class CanvasDocument {
  parts: CanvasPart[] = [];
  private nextId = 0;

  constructor(
    readonly id: string,
    readonly title: string,
    markdown: string,
  ) {
    this.parts = this.parse(markdown);
  }

  /** The whole canvas as Markdown. */
  markdown(): string {
    return this.parts.map((part) => part.markdown).join('\n\n');
  }

  /** The section whose heading (or text) contains `text`. */
  part(text: string): CanvasPart | undefined {
    return this.parts.find((part) => headingOf(part).includes(text));
  }

  /** Ids of the sections that match, as canvases.sections.lookup answers. */
  lookup(criteria: CanvasCriteria): string[] {
    const wanted = new Set(
      (criteria.section_types ?? []).flatMap((type) => (type === 'any_header' ? ['h1', 'h2', 'h3'] : [type])),
    );
    return this.parts
      .filter((part) => wanted.size === 0 || wanted.has(part.type))
      .filter((part) => {
        if (criteria.contains_text === undefined) return true;
        // A header section is found by its heading's text; other sections by their text.
        return (part.type === 'text' ? part.markdown : headingOf(part)).includes(criteria.contains_text);
      })
      .map((part) => part.id);
  }

  /** Applies one change; returns Slack's error code when it cannot be applied. */
  apply(change: CanvasChange): string | undefined {
    const content = change.document_content?.markdown;
    const at = change.section_id === undefined ? -1 : this.parts.findIndex((p) => p.id === change.section_id);
    if (change.section_id !== undefined && at < 0) return 'canvas_editing_failed';
    const needsContent = change.operation !== 'delete';
    if (needsContent && (content === undefined || change.document_content?.type !== 'markdown')) {
      return 'invalid_arguments';
    }
    const added = needsContent ? this.parse(content ?? '') : [];
    switch (change.operation) {
      case 'replace':
        if (at < 0) this.parts = added;
        else this.parts.splice(at, 1, ...added);
        return undefined;
      case 'insert_before':
      case 'insert_after':
        if (at < 0) return 'invalid_arguments';
        this.parts.splice(change.operation === 'insert_after' ? at + 1 : at, 0, ...added);
        return undefined;
      case 'insert_at_start':
        this.parts.unshift(...added);
        return undefined;
      case 'insert_at_end':
        this.parts.push(...added);
        return undefined;
      case 'delete':
        if (at < 0) return 'invalid_arguments';
        this.parts.splice(at, 1);
        return undefined;
      default:
        return 'invalid_arguments';
    }
  }

  /** Markdown as sections: a new one at each heading outside code blocks. */
  private parse(markdown: string): CanvasPart[] {
    const parts: { type: CanvasPart['type']; lines: string[] }[] = [];
    let fenced = false;
    for (const line of markdown.split('\n')) {
      const heading = fenced ? null : HEADING.exec(line);
      if (line.trimStart().startsWith('```')) fenced = !fenced;
      if (heading) parts.push({ type: `h${heading[1]?.length}` as CanvasPart['type'], lines: [line] });
      else if (parts.length === 0) parts.push({ type: 'text', lines: [line] });
      else parts.at(-1)?.lines.push(line);
    }
    return parts
      .map(({ type, lines }) => ({ type, markdown: lines.join('\n').trim() }))
      .filter((part) => part.markdown !== '')
      .map((part) => ({ ...part, id: `temp:C:${this.id}${++this.nextId}` }));
  }
}

/** A header section's heading text (`## Roles` → `Roles`); a text section's first line. */
export function headingOf(part: CanvasPart): string {
  const first = part.markdown.split('\n')[0] ?? '';
  return HEADING.exec(first)?.[2] ?? first;
}
