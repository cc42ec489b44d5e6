import { randomBytes } from 'node:crypto';
import {
  InvalidRequestError,
  requireId,
  requireIdempotencyKey,
  type LikeAction,
  type LikeService,
  type PostService,
  type StatsService,
} from '@likepipe/core';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { likeActions } from '../../observability/metrics.js';

const createPostBody = z.strictObject({ id: z.string().optional() });

/** Thin shell: parse and validate, call the domain service, map the result to the HTTP contract. */
export function postsRouter(deps: { posts: PostService; likes: LikeService; stats: StatsService }): Router {
  const router = Router();

  router.post('/', async (req: Request, res: Response) => {
    const body: unknown = req.body ?? {};
    const parsed = createPostBody.safeParse(body);
    if (!parsed.success) throw new InvalidRequestError(z.prettifyError(parsed.error).replaceAll('\n', ' '), 'body');
    const id =
      parsed.data.id === undefined ? randomBytes(12).toString('base64url') : requireId(parsed.data.id, 'body.id');
    const post = await deps.posts.create(id, req.userId!);
    res.status(201).location(`/api/posts/${id}`).json(post);
  });

  router.get('/:id', async (req: Request, res: Response) => {
    const id = requireId(req.params.id, 'path parameter id');
    res.json(await deps.posts.get(id, req.userId!));
  });

  router.get('/:id/count', async (req: Request, res: Response) => {
    const id = requireId(req.params.id, 'path parameter id');
    res.json(await deps.posts.count(id));
  });

  router.get('/:id/stats', async (req: Request, res: Response) => {
    const id = requireId(req.params.id, 'path parameter id');
    const param = (name: string) => {
      const v = req.query[name];
      if (v === undefined || typeof v === 'string') return v;
      throw new InvalidRequestError('must be given once, as a single value', `query parameter ${name}`);
    };
    res.json(await deps.stats.get(id, param('from'), param('to')));
  });

  const act = (action: LikeAction) => async (req: Request, res: Response) => {
    const postId = requireId(req.params.id, 'path parameter id');
    const idempotencyKey = readIdempotencyKey(req);
    try {
      const result = await deps.likes.act({
        userId: req.userId!,
        postId,
        action,
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      });
      likeActions.inc({ action, outcome: result.replayed ? 'replayed' : result.status === 202 ? 'degraded' : 'ok' });
      if (result.replayed) res.set('Idempotent-Replayed', 'true');
      res.status(result.status).json(result.body);
    } catch (err) {
      likeActions.inc({ action, outcome: (err as { code?: string }).code ?? 'error' });
      throw err;
    }
  };
  router.post('/:id/like', act('like'));
  router.delete('/:id/like', act('unlike'));
  return router;
}

/** `Idempotency-Key` (IETF draft) and `X-Idempotency-Key` (legacy) are one header under two names. */
function readIdempotencyKey(req: Request): string | undefined {
  const current = req.get('idempotency-key');
  const legacy = req.get('x-idempotency-key');
  if (current !== undefined && legacy !== undefined && current !== legacy) {
    throw new InvalidRequestError('Idempotency-Key and X-Idempotency-Key differ; send one', 'headers');
  }
  const raw = current ?? legacy;
  return raw === undefined ? undefined : requireIdempotencyKey(raw, 'header Idempotency-Key');
}
