import type { Pool } from 'pg';
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import type { ConfigProblem, ServiceShape } from '../config/problems.js';
import type { Logger } from '../log.js';
import type { ResultTable } from '../result-table.js';
import type { DockerTarget } from '../targets/docker.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { type ParamSpecs, ParamsSchema, type ParamValues } from './params.js';

export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];

/** Fields every action entry in ops.yml has, whatever its kind. */
export const baseActionFields = {
  summary: z.string().min(1).max(150),
  role: z.enum(ROLES).default('operator'),
  risk: z.enum(RISKS).default('medium'),
  params: ParamsSchema,
};

/** For kinds whose params are set by the kind, not ops.yml: writing `params` is an error naming them. */
export function fixedParams(kind: string, specs: ParamSpecs) {
  const names = Object.keys(specs);
  const error =
    names.length > 0
      ? `is fixed for ${kind} (${names.join(', ')}); remove it`
      : `is not used by ${kind}; remove it`;
  return z
    .never({ error })
    .optional()
    .transform(() => specs);
}

/** What an action would change, computed without changing anything. */
export interface ActionPlan {
  summary: string;
  table?: ResultTable;
}

/** What an action did. */
export interface ActionResult {
  summary: string;
  table?: ResultTable;
  /** A command kind's exit code (0 on success); kept in action_runs.exit_code, not in the result. */
  exitCode?: number;
}

/** One fact about a service, as a kind recorded it. */
export interface StateEntry {
  value: unknown;
  setBy: string;
  updatedAt: Date;
  expiresAt: Date | null;
}

/** Facts a kind may read and record about its own service in opsbot's database (degraded mode, ...). */
export interface ServiceStateAccess {
  get(key: string): Promise<StateEntry | undefined>;
  set(key: string, value: unknown, options?: { expiresAt?: Date }): Promise<void>;
  clear(key: string): Promise<void>;
}

/**
 * Where a command's output goes as it comes (k8s.exec, k8s.job, docker.exec): every line redacted before it
 * is kept; the latest lines shown in one message in the run's thread, edited at most every 2 s; the whole
 * output posted there as a file when it does not fit. In plan() it keeps nothing.
 */
export interface OutputStream {
  /** A chunk of the command's stdout or stderr, as it came (it may end mid-line). */
  write(chunk: Buffer | string): void;
  /** The last `n` lines, redacted: what a failure's summary shows. */
  lastLines(n: number): string[];
  /** Ends the output with its outcome (`exit code 0`): the last edit, and the file when long; then cleans up. */
  close(outcome: string): Promise<void>;
}

/** What a kind's plan() and execute() may use; nothing else reaches them. */
export interface ActionContext {
  /** The run's id: what a kind names what it creates by (a Job), so a redelivered run finds its own. */
  runId: string;
  service: string;
  environment: 'production' | 'staging' | 'development';
  params: ParamValues;
  /** The pool of one of the service's configured databases. */
  database(name: string): Pool;
  /** Hosts this service's HTTP calls may reach (services.<name>.allowed_hosts). */
  allowedHosts: readonly string[];
  /** The service's Kubernetes context, namespace and deployments (services.<name>.kubernetes). */
  kubernetes(): KubernetesTarget;
  /** The service's Compose project and its Docker Engine (services.<name>.compose). */
  docker(): DockerTarget;
  /** A stream for one command's output, titled (`pnpm admin:surface disable openai-api on executor-7d9f-x2`). */
  output(title: string): OutputStream;
  /** Text with every known secret and token-shaped string replaced: for anything shown that a config or command wrote. */
  redact(text: string): string;
  /** opsbot's own record of facts about this service; writes are attributed to the run. */
  state: ServiceStateAccess;
  /** Reports progress of a long execute() on the run card (throttled by the caller); a no-op in plan(). */
  progress(message: string): void;
  log: Logger;
}

/** What `/ops help` and the README say about a kind: one line, and a minimal ops.yml entry of it. */
export interface ActionHelp {
  /** What the kind does, in one sentence. */
  line: string;
  /** A minimal ops.yml entry (the action's name, then its fields), with how it is run in a comment. */
  example: string;
}

/** A fact a kind records about its service while something is switched on (degraded mode, ...). */
export interface SwitchedOnState {
  /** The service_state key the kind records it under. */
  key: string;
  /** The line `/ops status` shows for a recorded value; undefined for a value that is not switched on. */
  describe(value: unknown): string | undefined;
}

/** One kind of action (DESIGN §4): its ops.yml schema, its help, its checks, plan() and execute(). */
export interface ActionKind<C extends { kind: string }> {
  readonly kind: C['kind'];
  /** An object schema with a literal `kind`, so that the registry can join every kind's into one union. */
  readonly configSchema: z.ZodType<C> & z.core.$ZodTypeDiscriminable;
  readonly help: ActionHelp;
  /** Whether alert cards may offer it as a suggested action; true unless set false. */
  readonly suggestable?: boolean;
  /** What it records about its service while switched on, as `/ops status` and digests show it. */
  readonly serviceState?: SwitchedOnState;
  /** Whether running it twice is harmless; a non-idempotent run cut off mid-way is never re-run. */
  idempotent(config: C): boolean;
  /** Its risk when it is not the entry's own `risk` (a runbook's: its riskiest step's, by `riskOf` of its service's actions). */
  risk?(config: C, riskOf: (action: string) => Risk | undefined): Risk;
  /** What a run acts on, for the one-active-run rule; by default, all of its params. */
  target?(config: C, params: ParamValues): string;
  /** When state this kind recorded expires, opsbot runs the same action again with these params. */
  expiryParams?(): ParamValues;
  /** How long before its recorded state expires the run's thread gets a reminder; none when undefined. */
  remindBefore?(config: C): number | undefined;
  /** Why these arguments may not be used (a replica count above the bound, ...); checked by the policy. */
  constraints?(config: C, params: ParamValues): string | undefined;
  /** Problems that need the surrounding service to see (a database that is not configured, ...). */
  check(config: C, service: ServiceShape): ConfigProblem[];
  plan(config: C, ctx: ActionContext): Promise<ActionPlan>;
  execute(config: C, ctx: ActionContext): Promise<ActionResult>;
}
