/**
 * Base of every error LikePipeline raises on purpose, in every package. `code` is stable: clients, tests,
 * logs and dashboards match on it, never on the message. `retriable` says whether the same operation may
 * succeed later; retry loops decide on it. Errors of this kind say what
 * went wrong in their message, so a process that dies of one prints the message, not a stack trace.
 */
export abstract class LikePipeError extends Error {
  abstract readonly code: string;
  readonly retriable: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
