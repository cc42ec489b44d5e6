import { LikePipeError } from '@likepipe/contract';

/** A scenario file is missing, not JSON, or breaks the schema or its own consistency rules. */
export class ScenarioError extends LikePipeError {
  readonly code = 'scenario_invalid';
}
