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
 * Runs `apply` on the records of the partition batches that this consumer group has not applied yet, in one
 * transaction with the group's progress row of each partition (locked, then advanced). A batch Kafka delivers
 * again (a crash between COMMIT and the offset commit, a rebalance) finds its offsets applied and adds
 * nothing: this is what makes additive writes (counters, lists) exact under replay. Several partitions' batches
 * share one transaction (the consumer gathers them per flush); their rows are locked in partition order, so two
 * replicas briefly owning the same partitions during a rebalance cannot deadlock. Events reach `apply` in
 * offset order within each partition, which is all the order a like's key (post:user) has.
 */
export async function applyOnce<R>(
  pool: pg.Pool,
  batches: readonly PartitionBatch[],
  apply: (client: pg.PoolClient, events: LikeEvent[]) => Promise<R>,
): Promise<{ applied: number; skipped: number; result: R | undefined }> {
  const ordered = batches
    .filter((b) => b.records.length > 0)
    .sort((a, b) =>
      a.group !== b.group
        ? a.group.localeCompare(b.group)
        : a.topic !== b.topic
          ? a.topic.localeCompare(b.topic)
          : a.partition - b.partition || Number(a.records[0]!.offset - b.records[0]!.offset),
    );
  if (ordered.length === 0) return { applied: 0, skipped: 0, result: undefined };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Where each partition stands: read once (locked), then moved past every batch of it in this flush.
    const next = new Map<string, { batch: PartitionBatch; next: bigint }>();
    const events: LikeEvent[] = [];
    let applied = 0;
    let total = 0;
    for (const batch of ordered) {
      const key = `${batch.group}\u0000${batch.topic}\u0000${batch.partition}`;
      let progress = next.get(key);
      if (!progress) {
        const { rows } = await client.query<{ next_offset: string }>(
          prepared('lock-consumer-progress', [batch.group, batch.topic, batch.partition]),
        );
        progress = { batch, next: BigInt(rows[0]!.next_offset) };
        next.set(key, progress);
      }
      total += batch.records.length;
      for (const r of batch.records) {
        if (r.offset < progress.next) continue;
        applied++;
        if (r.event) events.push(r.event);
      }
      const last = batch.records[batch.records.length - 1]!.offset + 1n;
      if (last > progress.next) progress.next = last;
    }
    const result = await apply(client, events);
    for (const { batch, next: offset } of next.values()) {
      await client.query(
        prepared('advance-consumer-progress', [batch.group, batch.topic, batch.partition, offset.toString()]),
      );
    }
    await client.query('COMMIT');
    return { applied, skipped: total - applied, result };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
