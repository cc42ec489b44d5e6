import { LikePipeError } from '@likepipe/contract';

/** A fault could not be injected or its part could not be brought back (the stack script failed). */
export class ChaosError extends LikePipeError {
  readonly code = 'chaos_failed';
}
