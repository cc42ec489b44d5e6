import { LikeClientError } from './like-client-error.js';

/** A success status whose body is not what the contract promises (a proxy's page, a wrong URL, a bug). */
export class UnexpectedResponseError extends LikeClientError {
  readonly code = 'unexpected_response';
  readonly retriable = false;
}
