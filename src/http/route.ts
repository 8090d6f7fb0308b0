import type { IncomingMessage, ServerResponse } from 'node:http';

/** A route served beside Slack's endpoint (Bolt's CustomRoute shape). */
export interface Route {
  path: string;
  method: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}
