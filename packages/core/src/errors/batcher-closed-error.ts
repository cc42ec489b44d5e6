import { LikePipeError } from './likepipe-error.js';

/** The micro-batcher is closing (the process is shutting down) and takes nothing new. */
export class BatcherClosedError extends LikePipeError {
  readonly code = 'batcher_closed';
  override readonly retriable = true;
}
