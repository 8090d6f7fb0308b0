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
