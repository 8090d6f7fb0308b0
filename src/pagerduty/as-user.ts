import { type Authority, authorize } from '../auth/authorizer.js';
import { UnavailableError, UserError } from '../errors.js';
import type { UserEmail } from './ports.js';
import type { PagerDutyRest } from './rest.js';

export interface AsUserDeps extends Authority {
  rest: PagerDutyRest | undefined;
  email: UserEmail;
}

/** What a button on an alert card does in PagerDuty, done as the person who pressed it. */
export type PagerDutyChange =
  | { kind: 'acknowledge' }
  | { kind: 'resolve' }
  | { kind: 'escalate' }
  | { kind: 'note'; content: string };

/** Someone whose role was checked and who is a PagerDuty user: what is done through it goes `From` their email. */
export interface PagerDutyPerson {
  email: string;
  rest: PagerDutyRest;
}

/**
 * PagerDuty changes made as the Slack user who asked: their role on the opsbot service is checked (responder
 * and up), their Slack email must be a PagerDuty user, and that email is the request's `From`.
 */
export class PagerDutyAsUser {
  constructor(private readonly deps: AsUserDeps) {}

  /** Makes the change; returns one line saying what was done. */
  async change(actor: string, service: string, incidentId: string, change: PagerDutyChange): Promise<string> {
    const { rest, email } = await this.person(actor, service, `pagerduty ${change.kind}`);
    switch (change.kind) {
      case 'acknowledge':
        await rest.acknowledge(incidentId, email);
        return `<@${actor}> acknowledged it in PagerDuty.`;
      case 'resolve':
        await rest.resolve(incidentId, email);
        return `<@${actor}> resolved it in PagerDuty.`;
      case 'escalate':
        return `<@${actor}> escalated it to level ${await rest.escalate(incidentId, email)}.`;
      case 'note': {
        const content = change.content.trim();
        if (!content) throw new UserError('Write the note first.');
        await rest.addNote(incidentId, email, content.slice(0, 25_000));
        return `<@${actor}> added a note in PagerDuty.`;
      }
    }
  }

  /**
   * Checks that `actor` may do `action` (`pagerduty acknowledge`) on the opsbot service and finds them in
   * PagerDuty by their Slack email; one sentence when they may not or are not there.
   */
  async person(actor: string, service: string, action: string): Promise<PagerDutyPerson> {
    await authorize(this.deps, { kind: 'service', actor, service, action, requiredRole: 'responder' });
    const rest = this.deps.rest;
    if (!rest) throw new UnavailableError('PagerDuty is not set up here (PAGERDUTY_TOKEN is not set).');
    const email = await this.deps.email(actor);
    if (!email) {
      throw new UserError(
        'opsbot cannot see an email on your Slack profile, so PagerDuty cannot know who you are.',
      );
    }
    await rest.userIdByEmail(email);
    return { email, rest };
  }
}
