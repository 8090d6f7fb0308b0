/** Slack channel names: lower case, at most 80 characters; room is kept for a `-NN` suffix. */
const MAX_NAME = 76;

/** `inc-20261123-study-failures-above-50` for a title declared on 2026-11-23 (UTC). */
export function channelNameFor(prefix: string, at: Date, title: string): string {
  const day = at.toISOString().slice(0, 10).replace(/-/g, '');
  const base = `${prefix}-${day}`;
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_NAME - base.length - 1)
    .replace(/-+$/, '');
  return slug ? `${base}-${slug}` : base;
}
