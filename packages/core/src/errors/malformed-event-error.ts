import { LikePipeError } from './likepipe-error.js';

/** A Kafka record that is not a v1 like event; consumers count and skip it rather than stall a partition. */
export class MalformedEventError extends LikePipeError {
  readonly code = 'malformed_event';
}
