import type { App } from '@slack/bolt';
import { registerAccessButtons } from './access-buttons.js';
import { registerAlertButtons } from './alert-buttons.js';
import { registerAppHome } from './app-home.js';
import type { HandlerDeps } from './deps.js';
import { registerFollowupButtons } from './followup-buttons.js';
import { registerIncidentButtons } from './incident-buttons.js';
import { registerIncidentEvents } from './incident-events.js';
import { registerIncidentModals } from './incident-modals.js';
import { registerOpsCommand } from './ops-command.js';
import { registerParamsModal } from './params-modal.js';
import { registerPickAction } from './pick-action.js';
import { registerRunButtons } from './run-buttons.js';
import { registerRunbookAnswer } from './runbook-answer.js';
import { registerStormButtons } from './storm-buttons.js';

export type { HandlerDeps } from './deps.js';

/** Every Slack listener opsbot has. */
export function registerHandlers(app: App, deps: HandlerDeps): void {
  registerOpsCommand(app, deps);
  registerRunButtons(app, deps);
  registerRunbookAnswer(app, deps);
  registerParamsModal(app, deps);
  registerPickAction(app, deps);
  registerIncidentModals(app, deps);
  registerIncidentButtons(app, deps);
  registerAlertButtons(app, deps);
  registerStormButtons(app, deps);
  registerAccessButtons(app, deps);
  registerIncidentEvents(app, deps);
  registerAppHome(app, deps);
  registerFollowupButtons(app, deps);
}
