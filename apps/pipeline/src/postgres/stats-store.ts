import { foldMinuteStats, type LikeEvent, type MinuteStat, type StatsReader, type StatsWindow } from '@likepipe/core';
import type pg from 'pg';
import { prepared } from './sql.js';

export interface PartitionBatch {
  group: string;
  topic: string;
  partition: number;
  /** Offsets of the batch's records in order, with the parsed event (null for a record that did not parse). */
  records: { offset: bigint; event: LikeEvent | null }[];
}

/**
 * The analytics role's writes: one transaction per partition batch that locks the partition's progress row,
 * skips records at offsets already applied (a redelivered batch), adds the rest to the per-minute counters and
 * moves the progress row. Additive counters are exact under replay because of that row, not because of luck.
 */
export class PgStatsStore implements StatsReader {
  constructor(private readonly pool: pg.Pool) {}

  async apply(batch: PartitionBatch): Promise<{ applied: number; skipped: number; rows: number }> {
    if (batch.records.length === 0) return { applied: 0, skipped: 0, rows: 0 };
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ next_offset: string }>(
        prepared('lock-consumer-progress', [batch.group, batch.topic, batch.partition]),
      );
      const next = BigInt(rows[0]!.next_offset);
      const fresh = batch.records.filter((r) => r.offset >= next);
      const stats = foldMinuteStats(fresh.flatMap((r) => (r.event ? [r.event] : [])));
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
      const last = batch.records[batch.records.length - 1]!.offset;
      await client.query(
        prepared('advance-consumer-progress', [batch.group, batch.topic, batch.partition, (last + 1n).toString()]),
      );
      await client.query('COMMIT');
      return { applied: fresh.length, skipped: batch.records.length - fresh.length, rows: stats.length };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
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
