/**
 * Base of every error the pipeline reports on purpose. `code` is stable: clients, tests and dashboards match
 * on it, never on the message. `status` is the HTTP status the like-API answers with; `retriable` says whether
 * the same request may succeed later (kafkajs uses the same flag for the same reason).
 */
export abstract class LikePipeError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly retriable: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  toBody(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}
