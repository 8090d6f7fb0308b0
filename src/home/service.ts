import { findAction } from '../actions/catalog.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { ActorRoles } from '../auth/roles.js';
import type { OpsConfig } from '../config/ops-config.js';
import type { Incident } from '../incidents/incident.js';
import type { Run } from '../runs/run.js';
import type { HomeStore, Page } from './store.js';

/** How many of the user's runs, and of the runs waiting for approval, the Home reads. */
const RECENT_RUNS = 10;
const PENDING_CHECKED = 50;

export interface HomeDeps {
  config: Pick<OpsConfig, 'services' | 'incidents'>;
  store: HomeStore;
  openIncidents(): Promise<Incident[]>;
  rolesOf(user: string): Promise<ActorRoles>;
  authorizer: Pick<Authorizer, 'decide'>;
}

/** Everything one user's App Home shows. */
export interface HomeContent {
  user: string;
  roles: ActorRoles;
  /** Open incidents, most severe first, then oldest first. */
  incidents: Incident[];
  runs: Page<Run>;
  /** Runs the user may approve now (among the newest pending ones checked). */
  approvals: Run[];
  /** Pending runs beyond those checked, which the user may or may not be able to approve. */
  uncheckedApprovals: number;
}

/** Gathers one user's App Home: their roles, open incidents, their recent runs and what they may approve. */
export class HomeService {
  constructor(private readonly deps: HomeDeps) {}

  async content(user: string): Promise<HomeContent> {
    const [roles, incidents, runs, pending] = await Promise.all([
      this.deps.rolesOf(user),
      this.deps.openIncidents(),
      this.deps.store.recentRuns(user, RECENT_RUNS),
      this.deps.store.pendingApprovals(user, PENDING_CHECKED),
    ]);
    const approvals = await this.approvable(user, roles, pending.rows);
    return {
      user,
      roles,
      incidents: this.bySeverity(incidents),
      runs,
      approvals,
      uncheckedApprovals: pending.total - pending.rows.length,
    };
  }

  /** The runs RunService.approve would let `user` approve: the same policy, with the run's channel and args. */
  private async approvable(user: string, roles: ActorRoles, pending: Run[]): Promise<Run[]> {
    const decisions = await Promise.all(
      pending.map(async (run) => {
        const config = findAction(this.deps.config, run.service, run.action);
        if (!config || run.requested_by === user) return false;
        const request = {
          actor: user,
          channel: run.channel_id,
          service: run.service,
          action: run.action,
          config,
          params: run.params,
        };
        return (await this.deps.authorizer.decide(request, roles)).allow;
      }),
    );
    return pending.filter((_, i) => decisions[i]);
  }

  private bySeverity(incidents: Incident[]): Incident[] {
    const order = Object.keys(this.deps.config.incidents.severities);
    const rank = (incident: Incident) => {
      const at = order.indexOf(incident.severity);
      return at === -1 ? order.length : at;
    };
    return [...incidents].sort(
      (a, b) => rank(a) - rank(b) || a.declared_at.getTime() - b.declared_at.getTime(),
    );
  }
}
