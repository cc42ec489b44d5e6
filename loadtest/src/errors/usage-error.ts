import { LikePipeError } from '@likepipe/contract';

/** The command line asks for something the CLI does not do; the message says what it does. */
export class UsageError extends LikePipeError {
  readonly code = 'usage';
}
