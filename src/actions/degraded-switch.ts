import { z } from 'zod';
import { type ConfigProblem, databaseProblems, type ServiceShape } from '../config/problems.js';
import { timedTransaction } from '../db/target-sql.js';
import { describeHttpRequest, performHttpRequest, unexpectedStatus } from './http-request.js';
import {
  buildHttpRequest,
  HTTP_METHODS,
  type HttpRequest,
  type JsonValue,
  placeholders,
} from './http-template.js';
import { compileNamedParams } from './named-params.js';
import type { ActionContext } from './types.js';

/** One admin-API call that switches degraded mode; `{models}` is filled with the allow-list. */
const HttpCall = z.strictObject({
  method: z.enum(HTTP_METHODS),
  url: z.string().min(1).max(2000),
  headers: z.record(z.string(), z.string().max(8192)).default({}),
  body: z.json().optional(),
});

/**
 * How a service is switched in and out of degraded mode: SQL on one of its databases (`:models` is bound
 * to the comma-separated allow-list), or calls to its admin API (`{models}` in the URL or body).
 */
export const SwitchSchema = z.union([
  z.strictObject({ database: z.string().min(1), on: z.string().min(1), off: z.string().min(1) }),
  z.strictObject({ http: z.strictObject({ on: HttpCall, off: HttpCall }) }),
]);
export type Switch = z.infer<typeof SwitchSchema>;

/** Problems in a switch that need its service to see, with paths below `apply`. */
export function checkSwitch(apply: Switch, service: ServiceShape): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const field of ['on', 'off'] as const) {
    if ('http' in apply) {
      const call = apply.http[field];
      for (const name of [...placeholders(call.url), ...placeholders(call.body as JsonValue | undefined)]) {
        if (name !== 'models')
          problems.push({ path: ['http', field], message: `uses {${name}}; only {models} is filled in` });
      }
    } else {
      for (const name of compileNamedParams(apply[field]).names) {
        if (name !== 'models')
          problems.push({ path: [field], message: `uses :${name}; only :models is bound` });
      }
    }
  }
  if (!('http' in apply)) problems.push(...databaseProblems(apply.database, service));
  return problems;
}

/** What the switch will send, for the plan: the request line and body, never header values. */
export function describeSwitch(apply: Switch, on: boolean, models: string[]): string {
  return 'http' in apply ? `Request: ${describeHttpRequest(httpSwitch(apply, on, models))}` : '';
}

/** Switches the service; throws one sentence when the database or the API refuses. */
export async function applySwitch(
  apply: Switch,
  on: boolean,
  models: string[],
  ctx: ActionContext,
  timeoutMs: number,
): Promise<void> {
  if ('http' in apply) {
    const request = httpSwitch(apply, on, models);
    const response = await performHttpRequest(request, ctx, timeoutMs);
    if (response.status < 200 || response.status > 299) throw new Error(unexpectedStatus(request, response));
    return;
  }
  const statement = compileNamedParams(on ? apply.on : apply.off);
  const values = statement.names.map(() => models.join(','));
  await timedTransaction(ctx.database(apply.database), { timeoutMs }, async (client) => {
    await client.query({ text: statement.text, values });
  });
}

function httpSwitch(apply: Extract<Switch, { http: unknown }>, on: boolean, models: string[]): HttpRequest {
  const call = on ? apply.http.on : apply.http.off;
  return buildHttpRequest(
    { ...call, body: call.body as JsonValue | undefined },
    { models: models.join(',') },
  );
}
