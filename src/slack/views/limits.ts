/** Block Kit limits (REFERENCE.md) that builders must stay within. */
export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  fieldText: 2000,
  buttonText: 75,
  viewTitle: 24,
  privateMetadata: 3000,
} as const;

/** Cuts text to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
