import { LikeClientError } from './like-client-error.js';

/** No answer: the connection failed or the request timed out. The server may or may not have acted on it. */
export class NetworkError extends LikeClientError {
  readonly code = 'network';
  readonly retriable = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
  }
}
