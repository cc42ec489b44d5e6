import { LikePipeError } from './likepipe-error.js';

/** The request is malformed; `where` names the part that was wrong (a header, a path parameter, a body field). */
export class InvalidRequestError extends LikePipeError {
  readonly code = 'invalid_request';

  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
  }
}
