import { requireId, type FollowService } from '@likepipe/core';
import { Router, type Request, type Response } from 'express';

/** `PUT` / `DELETE /api/users/{id}/follow`: the caller follows or unfollows user {id}; both idempotent. */
export function usersRouter(deps: { follows: FollowService }): Router {
  const router = Router();
  const set = (following: boolean) => async (req: Request, res: Response) => {
    const id = requireId(req.params.id, 'path parameter id');
    res.json(await deps.follows.set(req.userId!, id, following));
  };
  router.put('/:id/follow', set(true));
  router.delete('/:id/follow', set(false));
  return router;
}
