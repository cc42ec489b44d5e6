import type { FeedService } from '@likepipe/core';
import { Router, type Request, type Response } from 'express';

/** `GET /api/feed?limit=K`: the caller's top K posts, each with its score and the score's terms. */
export function feedRouter(deps: { feed: FeedService }): Router {
  const router = Router();
  router.get('/', async (req: Request, res: Response) => {
    const limit = deps.feed.parseLimit(req.query.limit);
    res.json(await deps.feed.get(req.userId!, limit));
  });
  return router;
}
