import { LikePipeError } from './likepipe-error.js';

export class UnauthorizedError extends LikePipeError {
  readonly code = 'unauthorized';
}
