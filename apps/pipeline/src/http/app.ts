import {
  MethodNotAllowedError,
  NotFoundError,
  UnsupportedMediaTypeError,
  type FeedService,
  type FollowService,
  type LikeService,
  type NotificationService,
  type PostService,
  type StatsService,
} from '@likepipe/core';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type pg from 'pg';
import type { Logger } from '../observability/logger.js';
import { bearerAuth } from './auth.js';
import { errorHandler } from './errors.js';
import { documentedMethods, openApiDocument } from './openapi.js';
import { requestMetrics, routeMount } from './request-metrics.js';
import { benchRouter } from './routes/bench.js';
import { feedRouter } from './routes/feed.js';
import { notificationsRouter } from './routes/notifications.js';
import { postsRouter } from './routes/posts.js';
import { usersRouter } from './routes/users.js';
import { webAppRouter } from './web-app.js';

export interface AppDeps {
  posts: PostService;
  likes: LikeService;
  stats: StatsService;
  notifications: NotificationService;
  feed: FeedService;
  follows: FollowService;
  jwtSecret: string;
  log: Logger;
  isReady: () => { ready: boolean; reason?: string };
  metrics: () => Promise<{ contentType: string; body: string }>;
  isDraining: () => boolean;
  benchPool?: pg.Pool;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestMetrics);
  app.use((_req: Request, res: Response, next) => {
    // While draining, tell keep-alive clients to go elsewhere so the server can close.
    if (deps.isDraining()) res.set('Connection', 'close');
    next();
  });

  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req: Request, res: Response) => {
    const r = deps.isReady();
    res.status(r.ready ? 200 : 503).json(r.ready ? { status: 'ready' } : { status: 'not_ready', reason: r.reason });
  });
  app.get('/metrics', async (_req: Request, res: Response) => {
    const m = await deps.metrics();
    res.type(m.contentType).send(m.body);
  });
  const openApiJson = JSON.stringify(openApiDocument);
  app.get('/openapi.json', (_req: Request, res: Response) => {
    res.type('application/json').send(openApiJson);
  });

  // Before authentication, so a wrong method gets the same 405 with or without a token (RFC 9110: with Allow).
  app.use((req: Request, _res: Response, next) => {
    const known = documentedMethods.find((d) => d.pattern.test(req.path));
    next(
      known && !known.allow.includes(req.method)
        ? new MethodNotAllowedError(`${req.method} is not allowed on ${req.path}`, known.allow)
        : undefined,
    );
  });
  const auth = bearerAuth(deps.jwtSecret);
  const parseJson = express.json({ limit: '16kb', strict: true });
  // express.json() skips a body of another type, which then read as no body at all (POST /api/posts would
  // create a post with a generated id): a body the API cannot read is refused instead.
  const json = [
    parseJson,
    (req: Request, _res: Response, next: NextFunction) => {
      const length = Number(req.headers['content-length'] ?? 0);
      const hasBody = req.headers['transfer-encoding'] !== undefined || length > 0;
      next(
        hasBody && !req.is('application/json')
          ? new UnsupportedMediaTypeError('the body must be application/json')
          : undefined,
      );
    },
  ];
  app.use(
    '/api/posts',
    routeMount,
    auth,
    json,
    postsRouter({ posts: deps.posts, likes: deps.likes, stats: deps.stats }),
  );
  app.use('/api/notifications', routeMount, auth, notificationsRouter({ notifications: deps.notifications }));
  app.use('/api/feed', routeMount, auth, feedRouter({ feed: deps.feed }));
  app.use('/api/users', routeMount, auth, usersRouter({ follows: deps.follows }));
  if (deps.benchPool) app.use('/bench', routeMount, auth, json, benchRouter(deps.benchPool));
  // The demo page's relative URLs (style.css, js/, sdk/) need the trailing slash.
  app.use((req: Request, res: Response, next) => {
    if (req.path === '/app') res.redirect(301, '/app/');
    else next();
  });
  app.use('/app', routeMount, webAppRouter(deps.log));

  app.use((req: Request, _res: Response, next) => {
    next(new NotFoundError(`no route for ${req.method} ${req.path}`));
  });
  app.use(errorHandler(deps.log));
  return app;
}
