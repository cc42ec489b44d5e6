import { LikePipeError } from './likepipe-error.js';

/** A known path asked with a method it does not take; `allow` lists the ones it does (the Allow header). */
export class MethodNotAllowedError extends LikePipeError {
  readonly code = 'method_not_allowed';

  constructor(
    message: string,
    readonly allow: readonly string[],
  ) {
    super(message);
  }
}
