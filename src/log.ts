import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach the logs, wherever they sit in a logged object. */
const SECRET_KEYS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'secret',
  'key',
  'authorization',
  'Authorization',
  'url',
  'databaseUrl',
  'DATABASE_URL',
  'REDIS_URL',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'PAGERDUTY_TOKEN',
  'PAGERDUTY_WEBHOOK_SECRET',
];

const redactPaths = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** The root logger; everything else is a child of it. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'opsbot' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/** A URL with any password replaced, for messages that must name a connection target. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
