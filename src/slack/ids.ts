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
