import {
  AlreadyExistsError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
} from '@likepipe/core';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../observability/logger.js';

/** The errors the like-API answers with, and their HTTP statuses: the HTTP contract, kept out of the domain. */
type ApiError =
  | InvalidRequestError
  | UnauthorizedError
  | NotFoundError
  | MethodNotAllowedError
  | AlreadyExistsError
  | IdempotencyInProgressError
  | PayloadTooLargeError
  | UnsupportedMediaTypeError
  | IdempotencyKeyReusedError
  | RateLimitedError
  | UnavailableError;
const API_ERRORS = [
  InvalidRequestError,
  UnauthorizedError,
  NotFoundError,
  MethodNotAllowedError,
  AlreadyExistsError,
  IdempotencyInProgressError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  IdempotencyKeyReusedError,
  RateLimitedError,
  UnavailableError,
] as const;
// Keyed by the stable code, so adding an error to ApiError without a status is a compile error.
const HTTP_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  already_exists: 409,
  idempotency_in_progress: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  unavailable: 503,
} as const satisfies Record<ApiError['code'], number>;

/** The HTTP status of an error the API answers with on purpose. */
export const httpStatusOf = (err: ApiError): number => HTTP_STATUS[err.code];

/** Maps every error to the contract's `{"error":{"code","message"}}` with its status and headers. */
export function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const known = toApiError(err);
    if (!known) {
      log.error('unhandled error', { err: err instanceof Error ? err : String(err) });
      res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
      return;
    }
    if (known instanceof RateLimitedError) {
      const retryAfter = Math.max(1, Math.ceil(known.retryAfterMs / 1000));
      const windowS = Math.round(known.windowMs / 1000);
      res.set('Retry-After', String(retryAfter));
      res.set('RateLimit-Policy', `"likes";q=${known.limit};w=${windowS}`);
      res.set('RateLimit', `"likes";r=0;t=${retryAfter}`);
    } else if (known instanceof MethodNotAllowedError) {
      res.set('Allow', known.allow.join(', '));
    } else if (known instanceof UnavailableError) {
      res.set('Retry-After', String(known.retryAfterSeconds));
      if (known.cause) log.warn('request failed: dependency unavailable', { err: known });
    }
    res.status(httpStatusOf(known)).json({ error: { code: known.code, message: known.message } });
  };
}

function toApiError(err: unknown): ApiError | undefined {
  if (API_ERRORS.some((cls) => err instanceof cls)) return err as ApiError;
  // body-parser's errors carry a `type`; turn them into the contract's codes.
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.too.large') return new PayloadTooLargeError('the request body is larger than 16 KiB');
  if (type === 'entity.parse.failed') return new InvalidRequestError('the body is not valid JSON', 'body');
  if (type === 'encoding.unsupported') return new UnsupportedMediaTypeError('unsupported Content-Encoding');
  if (type === 'charset.unsupported') return new UnsupportedMediaTypeError('unsupported body charset');
  // The router's percent-decoding of a path parameter fails with a URIError: bad input, not a server fault.
  if (err instanceof URIError) return new InvalidRequestError('not valid percent-encoding', 'path');
  // Anything else the HTTP layer rejects as the client's fault (a body that is not valid gzip/deflate/br, a
  // Content-Length that does not match the body, an aborted upload) comes as an http-errors 4xx: still bad
  // input, answered with the contract's code and a fixed message rather than the library's wording.
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return new PayloadTooLargeError('the request body is larger than 16 KiB');
    if (status === 415) return new UnsupportedMediaTypeError('unsupported body encoding');
    return new InvalidRequestError('the body could not be read (bad encoding or length)', 'body');
  }
  return undefined;
}
