import { LikePipeError } from '@likepipe/contract';

/** ensure-topic could not make the topic match its spec; `retriable` is false when Kafka said no outright. */
export class EnsureTopicError extends LikePipeError {
  readonly code = 'ensure_topic_failed';

  constructor(
    message: string,
    override readonly retriable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
