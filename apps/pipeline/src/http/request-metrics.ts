import type { NextFunction, Request, Response } from 'express';
import { httpDuration, httpRequests } from '../observability/metrics.js';

/** Request count and latency labelled by route template (never the raw path: ids would explode cardinality). */
export function requestMetrics(req: Request, res: Response, next: NextFunction): void {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    // req.route survives leaving the router that matched it, but req.baseUrl does not: an error answered by the
    // app-level error handler (a 503 from a like) would be labelled `/:id/like` and fall out of every SLI that
    // selects the API's routes. The mount path is kept by routeMount below, when the router is entered.
    const route = req.route ? `${(res.locals as MountLocals).mount ?? ''}${String(req.route.path)}` : 'unmatched';
    const labels = { route, method: req.method, status: String(res.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
  });
  next();
}

interface MountLocals {
  mount?: string;
}

/**
 * First handler of every mounted router: records where it is mounted for the route label. An accessor on
 * req.route did the same, but redefining a property on every request cost more than anything else of ours
 * in the like-API's CPU profile.
 */
export function routeMount(req: Request, res: Response, next: NextFunction): void {
  (res.locals as MountLocals).mount = req.baseUrl;
  next();
}
