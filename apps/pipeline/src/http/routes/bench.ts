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
  // What most code does first: one transaction per like, insert the row, bump the counter, commit.
  router.post('/naive/posts/:id/like', async (req: Request, res: Response) => {
    const postId = requireId(req.params.id, 'path parameter id');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query(prepared('naive-insert-like', [postId, req.userId!]));
      let likeCount: number | null = null;
      if (inserted.rowCount === 1) {
        const { rows } = await client.query<{ like_count: number }>(prepared('naive-increment', [postId]));
        likeCount = rows[0]?.like_count ?? null;
      }
      await client.query('COMMIT');
      res.json({ postId, liked: true, changed: inserted.rowCount === 1, likeCount });
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  });
  router.post('/noop', (_req: Request, res: Response) => {
    res.json({ ok: true });
  });
  return router;
}
