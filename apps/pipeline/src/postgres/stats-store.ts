import { foldMinuteStats, type MinuteStat, type StatsReader, type StatsWindow } from '@likepipe/core';
import type pg from 'pg';
import { applyOnce, type PartitionBatch } from './consumer-progress.js';
import { prepared } from './sql.js';

export type { PartitionBatch } from './consumer-progress.js';

/** The analytics role's writes (per-minute counters, once per offset) and the stats endpoint's reads. */
export class PgStatsStore implements StatsReader {
  constructor(private readonly pool: pg.Pool) {}

  /** One flush: the partition batches in one transaction, each offset applied once. */
  async apply(batches: readonly PartitionBatch[]): Promise<{ applied: number; skipped: number; rows: number }> {
    const r = await applyOnce(this.pool, batches, async (client, events) => {
      const stats = foldMinuteStats(events);
      if (stats.length > 0) {
        await client.query(
          prepared('add-like-stats', [
            stats.map((s) => s.postId),
            stats.map((s) => s.minute),
            stats.map((s) => s.likes),
            stats.map((s) => s.unlikes),
          ]),
        );
      }
      return stats.length;
    });
    return { applied: r.applied, skipped: r.skipped, rows: r.result ?? 0 };
  }

  async series(postId: string, window: StatsWindow): Promise<MinuteStat[]> {
    const { rows } = await this.pool.query<{ minute: Date; likes: string; unlikes: string }>(
      prepared('read-like-stats', [postId, window.from, window.to]),
    );
    return rows.map((r) => ({
      postId,
      minute: r.minute.toISOString(),
      likes: Number(r.likes),
      unlikes: Number(r.unlikes),
    }));
  }
}
