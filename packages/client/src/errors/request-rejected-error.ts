import { LikeClientError } from './like-client-error.js';

/**
 * Any other 4xx: the request itself is wrong (expired token, unknown post, …) and sending it again cannot help.
 * `serverCode` is the like-API's own error code (`unauthorized`, `not_found`, …) when the body had one.
 */
export class RequestRejectedError extends LikeClientError {
  readonly code = 'rejected';
  readonly retriable = false;

  constructor(
    message: string,
    status: number,
    readonly serverCode: string | undefined,
  ) {
    super(message, status);
  }
}
