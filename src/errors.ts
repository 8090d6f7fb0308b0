/** Error classes whose message is one sentence meant for the person who caused it. */
export type ErrorCode = 'user' | 'forbidden' | 'not_found' | 'conflict' | 'unavailable';

/** An expected failure: its message is shown to the user as it is. */
export class OpsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OpsError';
  }
}

/** Bad input: a typo, a missing argument, a value out of range. */
export class UserError extends OpsError {
  constructor(message: string) {
    super('user', message);
  }
}

/** The actor may not do this here. */
export class ForbiddenError extends OpsError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** The thing named does not exist. */
export class NotFoundError extends OpsError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The request lost a race or came in the wrong state (already confirmed, expired, ...). */
export class ConflictError extends OpsError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A dependency (a target database, Slack, Redis) could not be reached. */
export class UnavailableError extends OpsError {
  constructor(message: string) {
    super('unavailable', message);
  }
}
