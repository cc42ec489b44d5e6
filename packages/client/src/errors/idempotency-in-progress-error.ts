import { LikeClientError } from './like-client-error.js';

/**
 * 409 `idempotency_in_progress`: an earlier attempt with the same key (one we gave up waiting for) is still
 * being processed. The contract says to retry shortly; the retry then replays that attempt's answer.
 */
export class IdempotencyInProgressError extends LikeClientError {
  readonly code = 'idempotency_in_progress';
  readonly retriable = true;

  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message, 409);
  }
}
