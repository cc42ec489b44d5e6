import { backoffMs } from '@likepipe/contract';
import type { LikeEvent } from './events.js';

/** One liker's final intent for one post's notification window, within a batch. */
export interface NotificationChange {
  postId: string;
  /** Start of the post's coalescing window the action fell in, ISO-8601 UTC. */
  windowStart: string;
  userId: string;
  liked: boolean;
  /** When the API accepted the (last) action: likers are listed newest first by it. */
  at: string;
}

export const windowStartOf = (at: string, windowMs: number): string =>
  new Date(Math.floor(Date.parse(at) / windowMs) * windowMs).toISOString();

/**
 * Folds events into the last intent per (post, window, user). Likes join the window's likers, an unlike in
 * the same window takes its like back out, and an unlike in a later window changes nothing (that window's
 * notification has no such liker): "you were liked" is not taken back once told. Applying a change is a set
 * operation, so the same batch applied twice leaves the same likers (the store also skips replayed offsets).
 */
export function planNotifications(events: readonly LikeEvent[], windowMs: number): NotificationChange[] {
  const last = new Map<string, NotificationChange>();
  for (const e of events) {
    // A repeated like changed nothing, so it must not move the liker to the front of the list either.
    if (e.type === 'like' && e.changed === false) continue;
    const windowStart = windowStartOf(e.at, windowMs);
    const key = `${e.postId}\u0000${windowStart}\u0000${e.userId}`;
    last.delete(key);
    last.set(key, { postId: e.postId, windowStart, userId: e.userId, liked: e.type === 'like', at: e.at });
  }
  return [...last.values()];
}

/** "alice liked your post", "bob and 41 others liked your post": likers newest first. */
export function notificationText(likers: readonly string[]): string {
  if (likers.length === 0) return '';
  if (likers.length === 1) return `${likers[0]} liked your post`;
  const others = likers.length - 1;
  return `${likers[0]} and ${others} ${others === 1 ? 'other' : 'others'} liked your post`;
}

/** Delay before delivery attempt `attempt` (1-based) to the push webhook: the shared backoff, doubling, capped. */
export function deliveryBackoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return backoffMs(attempt, { baseMs, maxMs });
}

export interface NotificationView {
  id: string;
  postId: string;
  windowStart: string;
  windowEnd: string;
  /** The window has closed: no more likes join this notification. */
  final: boolean;
  likers: string[];
  likeCount: number;
  text: string;
  deliveredAt: string | null;
}

/** Reads a user's notifications (the notifier role's table). */
export interface NotificationReader {
  forRecipient(userId: string, limit: number): Promise<Omit<NotificationView, 'text' | 'final'>[]>;
}

export class NotificationService {
  constructor(private readonly deps: { notifications: NotificationReader; clock: { now(): number } }) {}

  /** The caller's own notifications, newest first; only those someone is still in. */
  async list(userId: string, limit: number): Promise<NotificationView[]> {
    const rows = await this.deps.notifications.forRecipient(userId, limit);
    const now = this.deps.clock.now();
    return rows.map((r) => ({ ...r, final: Date.parse(r.windowEnd) <= now, text: notificationText(r.likers) }));
  }
}
