import { LikePipeError } from './likepipe-error.js';

/** The key was first used for a different user, post or action (IETF idempotency-key draft: 422). */
export class IdempotencyKeyReusedError extends LikePipeError {
  readonly code = 'idempotency_key_reused';

  constructor() {
    super('this idempotency key was already used for a different request (user, post or action)');
  }
}
