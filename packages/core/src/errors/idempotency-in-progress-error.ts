import { LikePipeError } from './likepipe-error.js';

/** Another request with the same idempotency key is still running; the client should retry shortly. */
export class IdempotencyInProgressError extends LikePipeError {
  readonly code = 'idempotency_in_progress';
  override readonly retriable = true;

  constructor() {
    super('a request with this idempotency key is still in progress; retry shortly');
  }
}
