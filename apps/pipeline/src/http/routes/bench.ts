import { requireId } from '@likepipe/core';
import { Router, type Request, type Response } from 'express';
import type pg from 'pg';
import { prepared } from '../../postgres/sql.js';

/**
 * Only mounted with LIKEPIPE_BENCH_ENDPOINTS=true, for `npm run bench`: the naive baseline (a Postgres write
 * per like: the hot-row problem this project exists to avoid) and a no-op behind the same auth (the floor).
 */
export function benchRouter(pool: pg.Pool): Router {
  const router = Router();
  router.post('/naive/posts/:id/like', async (req: Request, res: Response) => {
    const postId = requireId(req.params.id, 'path parameter id');
    const { rows } = await pool.query<{ like_count: number }>(prepared('naive-like', [postId, req.userId!]));
    res.json({ postId, liked: true, likeCount: rows[0]?.like_count ?? null });
  });
  router.post('/noop', (_req: Request, res: Response) => {
    res.json({ ok: true });
  });
  return router;
}
