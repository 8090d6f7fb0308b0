const CREDENTIALS_IN_URL = /([a-z][a-z0-9+.-]*:\/\/)[^\s/]+@/gi;

/** One line about a failure, safe to show in Slack: no stack, no credentials inside URLs, bounded. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split('\n')[0] ?? '').replace(CREDENTIALS_IN_URL, '$1[redacted]@').trim();
  if (!line) return 'Unknown error.';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
