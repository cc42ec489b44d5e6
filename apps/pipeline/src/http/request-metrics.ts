import type { NextFunction, Request, Response } from 'express';
import { httpDuration, httpRequests } from '../observability/metrics.js';

/** Request count and latency labelled by route template (never the raw path: ids would explode cardinality). */
export function requestMetrics(req: Request, res: Response, next: NextFunction): void {
  const start = process.hrtime.bigint();
  // The template is taken when a route matches, not when the response ends: leaving a mounted router resets
  // req.baseUrl, so an error answered by the app-level error handler (a 503 from a like, a 404 from a post)
  // would otherwise be labelled `/:id/like` instead of `/api/posts/:id/like`, and fall out of every SLI that
  // selects the API's routes.
  let route = 'unmatched';
  let matched: Request['route'];
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => matched,
    set(value: Request['route']) {
      matched = value;
      if (value) route = `${req.baseUrl}${String(value.path)}`;
    },
  });
  res.on('finish', () => {
    const labels = { route, method: req.method, status: String(res.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
  });
  next();
}
