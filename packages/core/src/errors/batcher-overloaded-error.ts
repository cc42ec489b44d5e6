import { LikePipeError } from './likepipe-error.js';

/** The micro-batcher holds as many waiting items as it may: backpressure, the caller answers 503. */
export class BatcherOverloadedError extends LikePipeError {
  readonly code = 'batcher_overloaded';
  override readonly retriable = true;
}
