import type { Clock, PostSnapshot } from './ports.js';
import { StableMismatchPolicy, type ReconcileVerdict } from './reconcile-policy.js';
import { SplitCooling } from './split-cooling.js';

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

/** A post's served count in Redis and how many sub-slots it is split over (1: unsplit). */
export interface SpeedCount {
  count: number;
  shards: number;
}

/** The speed side (Redis). */
export interface ReconcileSpeed {
  /** Served count, or null when the post is not in Redis (then nothing is stale: it loads on next use). */
  count(postId: string): Promise<SpeedCount | null>;
  /**
   * Reinstalls the post unsplit from the truth. For a split post every sub-slot is fenced before `load` runs,
   * so the truth it loads holds every like a sub-slot accepted. False when the truth has no such post.
   */
  replace(postId: string, load: () => Promise<PostSnapshot | null>): Promise<boolean>;
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
  /** Split posts that had cooled and were reinstalled in one slot. */
  unsplit: number;
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
  private readonly cooling: SplitCooling;

  constructor(
    private readonly truth: ReconcileTruth,
    private readonly speed: ReconcileSpeed,
    private readonly freshness: TruthFreshness,
    private readonly clock: Clock,
    minMismatchAgeMs: number,
    /** A split post whose count stood still this long, in sync with a caught-up truth, is un-split. */
    splitColdMs = 60_000,
  ) {
    this.policy = new StableMismatchPolicy(minMismatchAgeMs);
    this.cooling = new SplitCooling(splitColdMs);
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
      unsplit: 0,
      verdicts: { in_sync: 0, watch: 0, repair: 0, absent: 0 },
    };
    const seen = new Set<string>();
    for (const row of rows) {
      if (row.source !== 'repair' && seen.has(row.postId)) continue;
      seen.add(row.postId);
      result.checked++;
      const speed = await this.speed.count(row.postId);
      if (speed === null) {
        result.verdicts.absent++;
        this.cooling.forget(row.postId);
        if (row.requestedAt) await this.truth.drainRepair(row.postId, row.requestedAt);
        continue;
      }
      const now = this.clock.now();
      const verdict = this.policy.observe(row.postId, speed.count, row.truthCount, now, mayRepair);
      result.verdicts[verdict]++;
      const load = () => this.truth.loadSnapshot(row.postId);
      if (verdict === 'repair') {
        this.cooling.forget(row.postId);
        if (await this.speed.replace(row.postId, load)) result.repaired++;
      } else if (speed.shards <= 1) {
        this.cooling.forget(row.postId);
      } else if (verdict === 'in_sync' && this.cooling.cold(row.postId, speed.count, now) && mayRepair) {
        // Cold, and Redis equals a caught-up truth: one slot is enough again.
        this.cooling.forget(row.postId);
        if (await this.speed.replace(row.postId, load)) result.unsplit++;
      }
      if (row.requestedAt && verdict !== 'watch') await this.truth.drainRepair(row.postId, row.requestedAt);
    }
    return result;
  }
}
