import { foldFeedEvents, type FeedCandidate } from '@likepipe/core';
import type pg from 'pg';
import { applyOnce, type PartitionBatch } from './consumer-progress.js';
import { prepared } from './sql.js';

/** The feed-ranker's tables: velocity buckets and affinities (written once per offset) and the candidate read. */
export class PgFeedStore {
  constructor(private readonly pool: pg.Pool) {}

  /** One transaction per flush: the velocity buckets, the affinities and the partitions' progress. */
  async apply(batches: readonly PartitionBatch[], now: number): Promise<{ applied: number; skipped: number }> {
    const r = await applyOnce(this.pool, batches, async (client, events) => {
      const { velocity, affinity } = foldFeedEvents(events, now);
      if (velocity.length > 0) {
        await client.query(
          prepared('add-feed-velocity', [
            velocity.map((d) => d.postId),
            velocity.map((d) => d.minute),
            velocity.map((d) => d.net),
          ]),
        );
      }
      if (affinity.length > 0) {
        await client.query(
          prepared('add-user-affinity', [
            affinity.map((d) => d.userId),
            affinity.map((d) => d.postId),
            affinity.map((d) => d.net),
          ]),
        );
      }
    });
    return { applied: r.applied, skipped: r.skipped };
  }

  async candidates(now: number, hottest: number, newest: number): Promise<FeedCandidate[]> {
    const { rows } = await this.pool.query<{ post_id: string; author_id: string; created_at: Date; velocity: number }>(
      prepared('read-feed-candidates', [new Date(now), hottest, newest]),
    );
    return rows.map((r) => ({
      postId: r.post_id,
      authorId: r.author_id,
      createdAt: r.created_at.toISOString(),
      // Rounded: the weighted window gives fractions no reader needs, and snapshots stay small.
      velocity: Math.round(r.velocity * 100) / 100,
    }));
  }

  async prune(before: number): Promise<number> {
    const r = await this.pool.query(prepared('prune-feed-velocity', [new Date(before)]));
    return r.rowCount ?? 0;
  }
}
