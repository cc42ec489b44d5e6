import { LikeClientError } from './like-client-error.js';

/** 429: the user is over the like-API's rate limit; `retryAfterMs` comes from the server's Retry-After. */
export class RateLimitedError extends LikeClientError {
  readonly code = 'rate_limited';
  readonly retriable = true;

  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message, 429);
  }
}
