import type { AccessRequests } from '../access/service.js';
import type { AccessService } from '../auth/access.js';
import type { OpsConfig } from '../config/ops-config.js';
import type { DigestService } from '../digest/service.js';
import type { FollowupService } from '../followups/service.js';
import type { StatusService } from '../health/status.js';
import type { HomeService } from '../home/service.js';
import type { Metrics } from '../http/metrics.js';
import type { TimelineCapture } from '../incidents/capture.js';
import type { IncidentService } from '../incidents/service.js';
import type { PodsService } from '../kubernetes/show-pods.js';
import type { Logger } from '../log.js';
import type { LogsService } from '../logs/service.js';
import type { LookupService } from '../lookups/show.js';
import type { Outages } from '../outages.js';
import type { AlertActions } from '../pagerduty/alert-actions.js';
import type { OnCallService } from '../pagerduty/oncall.js';
import type { StormActions } from '../pagerduty/storm-actions.js';
import type { RunbookAnswers } from '../runbooks/answers.js';
import type { HistoryService } from '../runs/history.js';
import type { RunService } from '../runs/service.js';
import type { InFlight } from './handle.js';

/** What Slack listeners may call: the core, never an SDK, SQL or a target system directly. */
export interface HandlerDeps {
  config: OpsConfig;
  runs: RunService;
  access: AccessService;
  log: Logger;
  metrics: Metrics;
  /** Handler executions under way (handle() counts them). */
  inFlight: InFlight;
  /** PostgreSQL's and Redis's outages, for handle()'s sentence and its one log line per outage. */
  outages?: Outages;
  /** Read-only lookups for `/ops show`. */
  lookups: LookupService;
  /** Health checks and recorded state for `/ops status`. */
  status: StatusService;
  /** Pod readiness for `/ops pods`. */
  pods: PodsService;
  /** The last lines of a deployment's or compose service's containers for `/ops logs`. */
  logs: LogsService;
  /** Recent action runs for `/ops history`. */
  history: HistoryService;
  /** The incident lifecycle: `/ops incident …`, `note`, `timeline`, and their modals and buttons. */
  incidents: IncidentService;
  /** Pins, 📌 and edits in incident channels, written to the timeline. */
  capture: TimelineCapture;
  /** `/ops oncall`: who is on call, from PagerDuty. */
  oncall: OnCallService;
  /** `/ops digest now`: the digest posted on demand. */
  digest: DigestService;
  /** The buttons of PagerDuty alert cards. */
  alertActions: AlertActions;
  /** Acknowledge all and Resolve all on alert storms' roll-up cards. */
  stormActions: StormActions;
  /** What one user's App Home shows. */
  home: HomeService;
  /** Just-in-time access: `/ops elevate`, `/ops access`, and the access cards' buttons. */
  accessRequests: AccessRequests;
  /** Answers to runbooks' questions: the Answer button's modal and its submission. */
  runbookAnswers: RunbookAnswers;
  /** Incident follow-ups: `/ops followup(s)`, their Close button and the "Add as follow-up" shortcut. */
  followups: FollowupService;
}
