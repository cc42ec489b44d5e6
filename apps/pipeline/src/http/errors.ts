import {
  LikePipeError,
  PayloadTooLargeError,
  InvalidRequestError,
  RateLimitedError,
  UnavailableError,
} from '@likepipe/core';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../observability/logger.js';

/** Maps every error to the contract's `{"error":{"code","message"}}` with its status and headers. */
export function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const known = toLikePipeError(err);
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
    } else if (known instanceof UnavailableError) {
      res.set('Retry-After', String(known.retryAfterSeconds));
      if (known.cause) log.warn('request failed: dependency unavailable', { err: known });
    }
    res.status(known.status).json(known.toBody());
  };
}

function toLikePipeError(err: unknown): LikePipeError | undefined {
  if (err instanceof LikePipeError) return err;
  // body-parser's errors carry a `type`; turn them into the contract's codes.
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.too.large') return new PayloadTooLargeError('the request body is larger than 16 KiB');
  if (type === 'entity.parse.failed') return new InvalidRequestError('the body is not valid JSON', 'body');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new InvalidRequestError('unsupported body encoding', 'body');
  }
  return undefined;
}
