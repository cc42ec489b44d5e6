import type { PostSnapshot, ReconcileCandidate, ReconcileTruth } from '@likepipe/core';
import type pg from 'pg';
import { prepared } from './sql.js';
import { PgTruth } from './truth-reader.js';

interface CandidateRow {
  id: string;
  like_count: number;
  source: ReconcileCandidate['source'];
  requested_at: Date | null;
}

/**
 * The reconciler's side of the truth: the bounded set of posts one pass checks (queued repairs, recently
 * flushed posts, a page of the slow sweep; `sweepSize` of each), their snapshots, and draining the repair
 * queue.
 */
export class PgReconcileStore implements ReconcileTruth {
  private readonly truth: PgTruth;
  /** How far back "flushed recently" reaches: ten intervals, at least a minute. */
  private readonly recent: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly sweepSize: number,
    intervalMs: number,
  ) {
    this.truth = new PgTruth(pool);
    this.recent = `${Math.max(60, Math.ceil((intervalMs * 10) / 1000))} seconds`;
  }

  async candidates(sweepCursor: string): Promise<ReconcileCandidate[]> {
    const n = this.sweepSize;
    const { rows } = await this.pool.query<CandidateRow>(
      prepared('reconcile-candidates', [n, this.recent, n, sweepCursor, n]),
    );
    return rows.map((r) => ({
      postId: r.id,
      truthCount: r.like_count,
      source: r.source,
      ...(r.requested_at ? { requestedAt: r.requested_at } : {}),
    }));
  }

  loadSnapshot(postId: string): Promise<PostSnapshot | null> {
    return this.truth.loadSnapshot(postId);
  }

  async drainRepair(postId: string, requestedAt: Date): Promise<void> {
    await this.pool.query(prepared('delete-repair', [postId, requestedAt]));
  }
}
