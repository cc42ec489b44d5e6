import { LikePipeError } from './likepipe-error.js';

/** A variable is missing or invalid. The message names each one; secrets' values are never echoed. */
export class ConfigError extends LikePipeError {
  readonly code = 'config_invalid';
}
