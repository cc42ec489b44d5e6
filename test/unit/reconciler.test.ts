import {
  Reconciler,
  type PostSnapshot,
  type ReconcileCandidate,
  type ReconcileTruth,
  type TruthFreshness,
} from '@likepipe/core';

/**
 * The reconciler against in-memory Postgres and Redis: the failover case where the truth-writer is down, so
 * Postgres is stable but stale and Redis (ahead, and right) must not be "repaired" down to it.
 */
class World {
  now = 0;
  truthCount = new Map<string, number>();
  redisCount = new Map<string, number>();
  /** Sub-slots per post in Redis; absent = 1 (unsplit). */
  shards = new Map<string, number>();
  /** Order of what the speed side saw, to check that a split post is fenced before the truth is read. */
  steps: string[] = [];
  caughtUp: boolean | Error = true;
  freshnessReads = 0;
  repairs: { postId: string; requestedAt: Date }[] = [];

  readonly truth: ReconcileTruth = {
    candidates: async () => {
      const recent = [...this.truthCount].map(([postId, truthCount]): ReconcileCandidate => ({
        postId,
        truthCount,
        source: 'recent',
      }));
      const queued = this.repairs.map((r): ReconcileCandidate => ({
        ...r,
        truthCount: this.truthCount.get(r.postId)!,
        source: 'repair',
      }));
      return [...queued, ...recent];
    },
    loadSnapshot: async (postId): Promise<PostSnapshot | null> => {
      this.steps.push(`load ${postId}`);
      const likeCount = this.truthCount.get(postId);
      if (likeCount === undefined) return null;
      return { id: postId, authorId: 'a', createdAt: '2026-01-01T00:00:00Z', likeCount, likers: [] };
    },
    drainRepair: async (postId, requestedAt) => {
      this.repairs = this.repairs.filter((r) => r.postId !== postId || r.requestedAt > requestedAt);
    },
  };

  readonly freshness: TruthFreshness = {
    caughtUp: async () => {
      this.freshnessReads++;
      if (this.caughtUp instanceof Error) throw this.caughtUp;
      return this.caughtUp;
    },
  };

  readonly reconciler = new Reconciler(
    this.truth,
    {
      count: async (postId) => {
        const count = this.redisCount.get(postId);
        return count === undefined ? null : { count, shards: this.shards.get(postId) ?? 1 };
      },
      replace: async (postId, load) => {
        if ((this.shards.get(postId) ?? 1) > 1) this.steps.push(`fence ${postId}`);
        const s = await load();
        if (!s) return false;
        this.redisCount.set(s.id, s.likeCount);
        this.shards.delete(s.id);
        this.steps.push(`install ${postId}`);
        return true;
      },
    },
    this.freshness,
    { now: () => this.now },
    1_000,
    3_000,
  );

  /** One reconcile pass, one interval after the previous one. */
  async pass() {
    const r = await this.reconciler.pass();
    this.now += 1_000;
    return r;
  }
}

describe('Reconciler', () => {
  it('repairs a stable mismatch when the truth-writer is caught up', async () => {
    const w = new World();
    w.truthCount.set('p', 5);
    w.redisCount.set('p', 3); // drift: Redis lost writes
    expect((await w.pass()).verdicts.watch).toBe(1);
    const r = await w.pass();
    expect(r).toMatchObject({ repaired: 1, verdicts: { repair: 1 } });
    expect(w.redisCount.get('p')).toBe(5);
  });

  it('holds the repair while the truth-writer is behind: Redis keeps the acknowledged likes', async () => {
    const w = new World();
    w.caughtUp = false;
    w.truthCount.set('p', 0); // the truth-writer was killed before flushing
    w.redisCount.set('p', 7);
    for (let i = 0; i < 5; i++) {
      const r = await w.pass();
      expect(r).toMatchObject({ checked: 1, repaired: 0, verdicts: { watch: 1, repair: 0 } });
    }
    expect(w.redisCount.get('p')).toBe(7);
    expect(w.freshnessReads).toBe(5); // once per pass, not per post
  });

  it('treats a failed freshness read as behind', async () => {
    const w = new World();
    w.caughtUp = new Error('kafka unreachable');
    w.truthCount.set('p', 0);
    w.redisCount.set('p', 7);
    for (let i = 0; i < 3; i++) expect((await w.pass()).repaired).toBe(0);
    expect(w.redisCount.get('p')).toBe(7);
  });

  it('repairs a held stable mismatch on the first pass after the truth-writer catches up', async () => {
    const w = new World();
    w.caughtUp = false;
    w.truthCount.set('p', 5);
    w.redisCount.set('p', 3);
    await w.pass();
    await w.pass();
    await w.pass();
    expect(w.redisCount.get('p')).toBe(3);
    w.caughtUp = true;
    const r = await w.pass();
    expect(r).toMatchObject({ repaired: 1, verdicts: { repair: 1, watch: 0 } });
    expect(w.redisCount.get('p')).toBe(5);
  });

  it('once the truth-writer catches up with what Redis holds, the post is in sync and nothing is overwritten', async () => {
    const w = new World();
    w.caughtUp = false;
    w.truthCount.set('p', 0);
    w.redisCount.set('p', 7);
    await w.pass();
    await w.pass();
    w.truthCount.set('p', 7);
    w.caughtUp = true;
    expect(await w.pass()).toMatchObject({ repaired: 0, verdicts: { in_sync: 1 } });
    expect(w.redisCount.get('p')).toBe(7);
  });

  it('keeps a queued repair queued while it is held', async () => {
    const w = new World();
    w.caughtUp = false;
    w.truthCount.set('p', 2);
    w.redisCount.set('p', 4);
    w.repairs.push({ postId: 'p', requestedAt: new Date(0) });
    await w.pass();
    await w.pass();
    expect(w.repairs).toHaveLength(1);
    w.caughtUp = true;
    await w.pass();
    expect(w.repairs).toHaveLength(0);
    expect(w.redisCount.get('p')).toBe(2);
  });

  it('un-splits a split post once its count stood still for the cold time, fencing before reading the truth', async () => {
    const w = new World();
    w.truthCount.set('p', 40);
    w.redisCount.set('p', 40);
    w.shards.set('p', 8);
    // Still hot: the count moves every pass, so the post stays split.
    for (let i = 1; i <= 5; i++) {
      w.truthCount.set('p', 40 + i);
      w.redisCount.set('p', 40 + i);
      expect((await w.pass()).unsplit).toBe(0);
    }
    // Cold: the same count (45 since the last hot pass) for 3 s, the cold time, in sync with a caught-up truth.
    const passes = [];
    for (let i = 0; i < 3; i++) passes.push((await w.pass()).unsplit);
    expect(passes).toEqual([0, 0, 1]);
    expect(w.shards.has('p')).toBe(false);
    expect(w.steps).toEqual(['fence p', 'load p', 'install p']);
    expect(w.redisCount.get('p')).toBe(45);
  });

  it('does not un-split while the truth-writer is behind', async () => {
    const w = new World();
    w.truthCount.set('p', 9);
    w.redisCount.set('p', 9);
    w.shards.set('p', 4);
    w.caughtUp = false;
    for (let i = 0; i < 6; i++) expect((await w.pass()).unsplit).toBe(0);
    expect(w.shards.get('p')).toBe(4);
    w.caughtUp = true;
    expect((await w.pass()).unsplit).toBe(1);
  });

  it('repairs a split post that drifted by reinstalling it unsplit, fenced first', async () => {
    const w = new World();
    w.truthCount.set('p', 12);
    w.redisCount.set('p', 11); // a failover lost a sub-slot's write
    w.shards.set('p', 8);
    await w.pass();
    expect(await w.pass()).toMatchObject({ repaired: 1 });
    expect(w.steps).toEqual(['fence p', 'load p', 'install p']);
    expect(w.redisCount.get('p')).toBe(12);
  });
});
