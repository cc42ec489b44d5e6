import type { TruthBatchPlan } from '@likepipe/core';
import type pg from 'pg';
import { prepared } from './sql.js';

export interface FlushResult {
  postsTouched: number;
  netDelta: number;
}

/** Writes one folded batch to the truth in one transaction. */
export class PgTruthStore {
  constructor(private readonly pool: pg.Pool) {}

  async apply(plan: TruthBatchPlan): Promise<FlushResult> {
    const touched = [...new Set([...plan.likes.map((l) => l.postId), ...plan.unlikes.map((u) => u.postId)])].sort();
    if (touched.length === 0) return { postsTouched: 0, netDelta: 0 };
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(prepared('lock-posts', [touched]));
      const { rows } = await client.query<{ id: string; delta: number }>(
        prepared('apply-like-batch', [
          plan.likes.map((l) => l.postId),
          plan.likes.map((l) => l.userId),
          plan.likes.map((l) => l.at),
          plan.unlikes.map((u) => u.postId),
          plan.unlikes.map((u) => u.userId),
          plan.bypassedPosts,
        ]),
      );
      await client.query('COMMIT');
      return { postsTouched: rows.length, netDelta: rows.reduce((s, r) => s + Number(r.delta), 0) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
