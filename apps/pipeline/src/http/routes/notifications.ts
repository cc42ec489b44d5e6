import { InvalidRequestError, type NotificationService } from '@likepipe/core';
import { Router, type Request, type Response } from 'express';

/** `GET /api/notifications?limit=`: the caller's own notifications, newest first. */
export function notificationsRouter(deps: { notifications: NotificationService }): Router {
  const router = Router();
  router.get('/', async (req: Request, res: Response) => {
    const raw = req.query.limit;
    let limit = 20;
    if (raw !== undefined) {
      if (typeof raw !== 'string' || !/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 100) {
        throw new InvalidRequestError('must be a whole number from 1 to 100', 'query parameter limit');
      }
      limit = Number(raw);
    }
    res.json({ notifications: await deps.notifications.list(req.userId!, limit) });
  });
  return router;
}
