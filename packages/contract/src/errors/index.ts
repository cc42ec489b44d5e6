export { LikePipeError } from './likepipe-error.js';
export { ConfigError } from './config-error.js';
