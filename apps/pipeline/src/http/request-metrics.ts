import type { NextFunction, Request, Response } from 'express';
import { httpDuration, httpRequests } from '../observability/metrics.js';

/** Request count and latency labelled by route template (never the raw path: ids would explode cardinality). */
export function requestMetrics(req: Request, res: Response, next: NextFunction): void {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
    const labels = { route, method: req.method, status: String(res.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
  });
  next();
}
