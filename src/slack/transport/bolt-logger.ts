import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import type { Logger } from '../../log.js';

/** Bolt and the Web API client log through opsbot's pino logger (and so through its redaction). */
export function slackLogger(log: Logger): SlackLogger {
  const child = log.child({ component: 'slack' });
  return {
    debug: (...msg) => child.debug(msg.map(String).join(' ')),
    info: (...msg) => child.info(msg.map(String).join(' ')),
    warn: (...msg) => child.warn(msg.map(String).join(' ')),
    error: (...msg) => child.error(msg.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
