import { LikePipeError } from './likepipe-error.js';

export class RateLimitedError extends LikePipeError {
  readonly code = 'rate_limited';
  override readonly retriable = true;

  constructor(
    readonly retryAfterMs: number,
    readonly limit: number,
    readonly windowMs: number,
  ) {
    super(
      `at most ${limit} likes and unlikes per ${Math.round(windowMs / 1000)} s; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
    );
  }
}
