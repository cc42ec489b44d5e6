import { LikePipeError } from './likepipe-error.js';

export class PayloadTooLargeError extends LikePipeError {
  readonly code = 'payload_too_large';
}
