import { LikePipeError } from '@likepipe/contract';

/** A keeper action failed; the rest of the pass may have been skipped, and the next pass starts afresh. */
export class KeeperActionError extends LikePipeError {
  readonly code = 'redis_keeper_action_failed';
  // The next pass re-plans from what is true by then.
  override readonly retriable = true;
}
