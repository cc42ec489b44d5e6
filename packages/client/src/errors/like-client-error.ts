/**
 * Base of every error the client reports. `code` is stable (UIs and tests match on it, never on the message);
 * `retriable` says whether sending the same request again, with the same idempotency key, may succeed — the
 * transport retries exactly those, so an error that reaches the application has already been retried.
 */
export abstract class LikeClientError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined;

  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
  }
}
