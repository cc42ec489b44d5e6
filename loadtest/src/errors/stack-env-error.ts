import { LikePipeError } from '@likepipe/contract';

/** The stack's env file is missing or lacks a variable the run needs. */
export class StackEnvError extends LikePipeError {
  readonly code = 'stack_env_invalid';
}
