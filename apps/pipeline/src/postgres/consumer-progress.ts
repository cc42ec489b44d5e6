import type { LikeEvent } from '@likepipe/core';
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
 * Runs `apply` on the records of a partition batch that this consumer group has not applied yet, in one
 * transaction with the group's progress row for the partition (locked, then advanced). A batch Kafka delivers
 * again (a crash between COMMIT and the offset commit, a rebalance) finds its offsets applied and adds
 * nothing: this is what makes additive writes (counters, lists) exact under replay.
 */
export async function applyOnce<R>(
  pool: pg.Pool,
  batch: PartitionBatch,
  apply: (client: pg.PoolClient, events: LikeEvent[]) => Promise<R>,
): Promise<{ applied: number; skipped: number; result: R | undefined }> {
  if (batch.records.length === 0) return { applied: 0, skipped: 0, result: undefined };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ next_offset: string }>(
      prepared('lock-consumer-progress', [batch.group, batch.topic, batch.partition]),
    );
    const next = BigInt(rows[0]!.next_offset);
    const fresh = batch.records.filter((r) => r.offset >= next);
    const result = await apply(
      client,
      fresh.flatMap((r) => (r.event ? [r.event] : [])),
    );
    const last = batch.records[batch.records.length - 1]!.offset;
    await client.query(
      prepared('advance-consumer-progress', [batch.group, batch.topic, batch.partition, (last + 1n).toString()]),
    );
    await client.query('COMMIT');
    return { applied: fresh.length, skipped: batch.records.length - fresh.length, result };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
