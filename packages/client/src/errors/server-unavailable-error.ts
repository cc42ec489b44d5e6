import { LikeClientError } from './like-client-error.js';

/**
 * 5xx: the like could not be made durable (the like-API's 503) or something in front of it failed. The
 * contract promises that nothing changed, so the same request may be sent again.
 */
export class ServerUnavailableError extends LikeClientError {
  readonly code = 'unavailable';
  readonly retriable = true;

  constructor(
    message: string,
    status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message, status);
  }
}
