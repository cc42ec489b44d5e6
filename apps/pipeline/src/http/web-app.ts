import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../observability/logger.js';

/**
 * Where the demo page's files are, from this module: src/http/ and dist/http/ sit at the same depth, and
 * apps/pipeline/Dockerfile keeps the repository's layout, so the same relative path holds in the repository,
 * in tests and in the image.
 */
const REPO = new URL('../../../../', import.meta.url);
export const webAppDirs = {
  /** index.html and style.css */
  page: fileURLToPath(new URL('apps/web/public/', REPO)),
  /** the page script, compiled by `tsc -b` */
  script: fileURLToPath(new URL('apps/web/dist/', REPO)),
  /** @likepipe/client compiled to ES modules the browser loads as they are */
  sdk: fileURLToPath(new URL('packages/client/dist/', REPO)),
};

/**
 * GET /app/ — the demo page (static files, no auth: the page carries no data; its API calls send the user's
 * bearer token like any client). Mounted at /app by createApp.
 */
export function webAppRouter(log: Logger, dirs = webAppDirs): Router {
  const missing = Object.values(dirs).filter((d) => !existsSync(d));
  if (missing.length > 0) log.warn('the demo page at /app/ is incomplete (run `npm run build`)', { missing });

  const router = Router();
  router.use((_req: Request, res: Response, next: NextFunction) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      // A like button inside someone else's frame is the classic "likejacking" trick.
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    });
    next();
  });
  const options = { fallthrough: true, redirect: false, dotfiles: 'ignore' as const };
  router.use('/sdk', express.static(dirs.sdk, { ...options, index: false }));
  router.use('/js', express.static(dirs.script, { ...options, index: false }));
  router.use(express.static(dirs.page, { ...options, index: 'index.html' }));
  return router;
}
