import { LikePipeError } from './likepipe-error.js';

export class AlreadyExistsError extends LikePipeError {
  readonly code = 'already_exists';
}
