import { planNotifications, type NotificationReader, type NotificationView } from '@likepipe/core';
import type pg from 'pg';
import { applyOnce, type PartitionBatch } from './consumer-progress.js';
import { prepared } from './sql.js';

export interface Delivery {
  id: string;
  recipientId: string;
  postId: string;
  windowStart: string;
  likers: string[];
  attempt: number;
}

/** The notifier role's writes (coalesced per post and window, once per offset), deliveries, and reads. */
export class PgNotificationStore implements NotificationReader {
  constructor(private readonly pool: pg.Pool) {}

  /** Applies one flush of partition batches, coalescing likes per post into windows of `windowMs`. */
  async apply(
    batches: readonly PartitionBatch[],
    windowMs: number,
  ): Promise<{ applied: number; skipped: number; changes: number }> {
    const r = await applyOnce(this.pool, batches, async (client, events) => {
      const changes = planNotifications(events, windowMs);
      const adds = changes.filter((c) => c.liked);
      const removes = changes.filter((c) => !c.liked);
      if (adds.length > 0) {
        await client.query(
          prepared('add-notification-likers', [
            adds.map((c) => c.postId),
            adds.map((c) => c.windowStart),
            adds.map((c) => c.userId),
            adds.map((c) => c.at),
            windowMs,
          ]),
        );
      }
      if (removes.length > 0) {
        await client.query(
          prepared('remove-notification-likers', [
            removes.map((c) => c.postId),
            removes.map((c) => c.windowStart),
            removes.map((c) => c.userId),
          ]),
        );
      }
      return changes.length;
    });
    return { applied: r.applied, skipped: r.skipped, changes: r.result ?? 0 };
  }

  async forRecipient(userId: string, limit: number): Promise<Omit<NotificationView, 'text' | 'final'>[]> {
    const { rows } = await this.pool.query<{
      id: string;
      post_id: string;
      window_start: Date;
      window_end: Date;
      likers: string[];
      delivered_at: Date | null;
    }>(prepared('list-notifications', [userId, limit]));
    return rows.map((r) => ({
      id: String(r.id),
      postId: r.post_id,
      windowStart: r.window_start.toISOString(),
      windowEnd: r.window_end.toISOString(),
      likers: r.likers,
      likeCount: r.likers.length,
      deliveredAt: r.delivered_at ? r.delivered_at.toISOString() : null,
    }));
  }

  /** Claims due deliveries for `leaseMs`; a crash mid-push means a retry after the lease, never a loss. */
  async claimDeliveries(limit: number, leaseMs: number): Promise<Delivery[]> {
    const { rows } = await this.pool.query<{
      id: string;
      recipient_id: string;
      post_id: string;
      window_start: Date;
      likers: string[];
      delivery_attempts: number;
    }>(prepared('claim-notification-deliveries', [limit, leaseMs]));
    return rows
      .filter((r) => r.likers.length > 0)
      .map((r) => ({
        id: String(r.id),
        recipientId: r.recipient_id,
        postId: r.post_id,
        windowStart: r.window_start.toISOString(),
        likers: r.likers,
        attempt: r.delivery_attempts,
      }));
  }

  async finishDelivery(id: string, delivered: boolean, retryInMs: number): Promise<void> {
    await this.pool.query(prepared('finish-notification-delivery', [id, delivered, retryInMs]));
  }
}
