export { LikeClientError } from './like-client-error.js';
export { NetworkError } from './network-error.js';
export { RateLimitedError } from './rate-limited-error.js';
export { ServerUnavailableError } from './server-unavailable-error.js';
export { IdempotencyInProgressError } from './idempotency-in-progress-error.js';
export { RequestRejectedError } from './request-rejected-error.js';
export { UnexpectedResponseError } from './unexpected-response-error.js';
