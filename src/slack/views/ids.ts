/** Block Kit action ids of the run card's buttons; stable across releases so old cards keep working. */
export const RUN_BUTTONS = {
  confirm: 'run_confirm',
  cancel: 'run_cancel',
  approve: 'run_approve',
  reject: 'run_reject',
} as const;

/** callback_id of the modal that collects an action's params. */
export const PARAMS_MODAL = 'action_params';

/** action_id of every input in the params modal (its block_id is the param name). */
export const PARAM_INPUT = 'value';

/** callback_id of the `/ops run` modal that picks an action. */
export const PICK_MODAL = 'pick_action';

/** block_id and action_id of its action select. */
export const PICK_INPUT = 'action';

/**
 * Action ids of the PagerDuty alert card's buttons. Every button's value is the PagerDuty incident id, and
 * the card's actions block has block_id `pd_alert:<PagerDuty incident id>`.
 */
export const ALERT_BUTTONS = {
  acknowledge: 'pd_acknowledge',
  resolve: 'pd_resolve',
  escalate: 'pd_escalate',
  note: 'pd_note',
  declare: 'pd_declare',
} as const;

/** block_id prefix of the alert card's actions block. */
export const ALERT_BLOCK = 'pd_alert';

/**
 * Action ids of an alert storm's roll-up card: one PagerDuty request per open incident rolled up there, as the
 * person who pressed. Each button's value is the storm's id; the actions block is `pd_storm:<storm id>`.
 */
export const STORM_BUTTONS = {
  acknowledgeAll: 'pd_storm_acknowledge',
  resolveAll: 'pd_storm_resolve',
} as const;

/** block_id prefix of the roll-up card's actions block. */
export const STORM_BLOCK = 'pd_storm';

/**
 * action_id prefix of a suggested opsbot action on an alert card: `pd_action:<service>:<action>` (neither
 * name can hold a ':'); match with /^pd_action:/ and read the pair with alertActionOf.
 */
export const ALERT_ACTION = 'pd_action';

/** The action_id of a suggested action's button. */
export function alertActionId(service: string, action: string): string {
  return `${ALERT_ACTION}:${service}:${action}`;
}

/** The service and action a suggested action's action_id names; undefined for any other id. */
export function alertActionOf(actionId: string): { service: string; action: string } | undefined {
  const [prefix, service, action, ...rest] = actionId.split(':');
  if (prefix !== ALERT_ACTION || !service || !action || rest.length > 0) return undefined;
  return { service, action };
}

/** action_id of the Answer button on a runbook's question; its value is `<run id>:<step name>`. */
export const RUNBOOK_ANSWER = 'runbook_answer';

/** callback_id of the modal that answers a runbook's question. */
export const RUNBOOK_ANSWER_MODAL = 'runbook_answer';

/** action_id of a follow-up's Close button (on its post, its owner's DMs and `/ops followups`); value: its id. */
export const FOLLOWUP_CLOSE = 'followup_close';

/** callback_id of the "Add as follow-up" message shortcut (manifest.yml) and of the modal it opens. */
export const FOLLOWUP_SHORTCUT = 'followup_add';
