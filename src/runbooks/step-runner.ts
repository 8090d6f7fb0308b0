import type { Pool } from 'pg';
import type { Authorizer } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import type { HealthResult } from '../health/levels.js';
import type { IncidentService } from '../incidents/service.js';
import type { IncidentStore } from '../incidents/store.js';
import type { Logger } from '../log.js';
import type { Run } from '../runs/run.js';
import type { RunService } from '../runs/service.js';
import type { RunStore } from '../runs/store.js';
import type { StepOf, StepType } from './config.js';
import type { RunbookPosts } from './ports.js';
import type { RunbookStore, StepResult, StepRow } from './store.js';

/** What a step does next: it is done (with what it found), it failed (why), or it waits until `wakeAt`. */
export type StepOutcome =
  | { kind: 'done'; result?: StepResult; line: string }
  /** `stop`: stop the runbook whatever its on_failure says (a refusal: nothing after it may run). */
  | { kind: 'failed'; reason: string; stop?: boolean; result?: StepResult }
  | { kind: 'blocked'; wakeAt: Date; detail: string };

/** What every step type may use. */
export interface StepDeps {
  config: OpsConfig;
  runs: RunService;
  runStore: RunStore;
  store: RunbookStore;
  authorizer: Authorizer;
  posts: RunbookPosts;
  /** The pool of database `name` of `service` (lookups). */
  database(service: string, name: string): Pool;
  /** Runs one of the service's health checks by name, counting `sustained:` as the probe does. */
  check(service: string, name: string): Promise<HealthResult>;
  incidents: IncidentService;
  incidentStore: IncidentStore;
  /** How long a waiting step sleeps between looks at a run, an answer or a check (default 2 s). */
  pollMs: number;
  log: Logger;
}

/** One step of a runbook's run, as its type's runner gets it. */
export interface StepInput<T extends StepType> {
  step: StepOf<T>;
  row: StepRow;
  /** True when this worker claimed the step just now; false when it found it running (a later look, or a resume). */
  fresh: boolean;
  run: Run;
  /** Every step's row, in order: earlier results for `when:` and templates. */
  rows: StepRow[];
  /** Fills a template with the runbook's params and earlier steps' results (throws a UserError on a hole). */
  fill(template: string): string;
  now: Date;
}

/** A step type: given its step, what happens next. Called again on every look until it is done or failed. */
export type StepRunner<T extends StepType> = (input: StepInput<T>, deps: StepDeps) => Promise<StepOutcome>;
