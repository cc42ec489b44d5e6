import type { Clock, PostSnapshot } from './ports.js';
import { StableMismatchPolicy, type ReconcileVerdict } from './reconcile-policy.js';

export interface ReconcileCandidate {
  postId: string;
  truthCount: number;
  source: 'repair' | 'recent' | 'sweep';
  /** For 'repair' rows: when the repair was queued, so draining does not drop a newer request. */
  requestedAt?: Date;
}

/** The truth side of reconciliation (Postgres). */
export interface ReconcileTruth {
  candidates(sweepCursor: string): Promise<ReconcileCandidate[]>;
  loadSnapshot(postId: string): Promise<PostSnapshot | null>;
  drainRepair(postId: string, requestedAt: Date): Promise<void>;
}

/** The speed side (Redis). */
export interface ReconcileSpeed {
  /** Served count, or null when the post is not in Redis (then nothing is stale: it loads on next use). */
  count(postId: string): Promise<number | null>;
  replace(snapshot: PostSnapshot): Promise<void>;
}

/**
 * Whether Postgres holds every like event produced so far: the truth-writer's consumer group has no lag. Only
 * then is a stable mismatch drift in Redis rather than a truth-writer that is down or behind.
 */
export interface TruthFreshness {
  caughtUp(): Promise<boolean>;
}

export interface ReconcilePassResult {
  checked: number;
  repaired: number;
  verdicts: Record<ReconcileVerdict | 'absent', number>;
}

/**
 * One bounded pass of Redis ⇄ Postgres repair: queued repairs, recently touched posts and a page of the slow
 * sweep. Postgres is the truth; Redis is overwritten only on a stable mismatch while the truth is caught up
 * (see StableMismatchPolicy).
 */
export class Reconciler {
  private cursor = '';
  private readonly policy: StableMismatchPolicy;

  constructor(
    private readonly truth: ReconcileTruth,
    private readonly speed: ReconcileSpeed,
    private readonly freshness: TruthFreshness,
    private readonly clock: Clock,
    minMismatchAgeMs: number,
  ) {
    this.policy = new StableMismatchPolicy(minMismatchAgeMs);
  }

  async pass(): Promise<ReconcilePassResult> {
    // Asked before the truth is read, so a yes covers every event the counts below could be missing. Not knowing
    // (Kafka unreachable) is treated as behind: a wrong repair serves a too-low count, a held one only waits.
    const mayRepair = await Promise.resolve()
      .then(() => this.freshness.caughtUp())
      .catch(() => false);
    const rows = await this.truth.candidates(this.cursor);
    const sweep = rows.filter((r) => r.source === 'sweep');
    // An empty or short sweep page means we reached the end: start over next time.
    this.cursor = sweep.length > 0 ? sweep[sweep.length - 1]!.postId : '';

    const result: ReconcilePassResult = {
      checked: 0,
      repaired: 0,
      verdicts: { in_sync: 0, watch: 0, repair: 0, absent: 0 },
    };
    const seen = new Set<string>();
    for (const row of rows) {
      if (row.source !== 'repair' && seen.has(row.postId)) continue;
      seen.add(row.postId);
      result.checked++;
      const redisCount = await this.speed.count(row.postId);
      if (redisCount === null) {
        result.verdicts.absent++;
        if (row.requestedAt) await this.truth.drainRepair(row.postId, row.requestedAt);
        continue;
      }
      const verdict = this.policy.observe(row.postId, redisCount, row.truthCount, this.clock.now(), mayRepair);
      result.verdicts[verdict]++;
      if (verdict === 'repair') {
        const snapshot = await this.truth.loadSnapshot(row.postId);
        if (snapshot) {
          await this.speed.replace(snapshot);
          result.repaired++;
        }
      }
      if (row.requestedAt && verdict !== 'watch') await this.truth.drainRepair(row.postId, row.requestedAt);
    }
    return result;
  }
}
