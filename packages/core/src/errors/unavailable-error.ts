import { LikePipeError } from './likepipe-error.js';

/** The action could not be made durable (Kafka unreachable, overload); nothing lasting was changed. */
export class UnavailableError extends LikePipeError {
  readonly code = 'unavailable';
  override readonly retriable = true;

  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
