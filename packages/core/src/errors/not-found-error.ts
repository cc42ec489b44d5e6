import { LikePipeError } from './likepipe-error.js';

export class NotFoundError extends LikePipeError {
  readonly code = 'not_found';
}
