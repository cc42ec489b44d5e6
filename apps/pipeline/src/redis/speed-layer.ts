import {
  SpeedLayerUnavailableError,
  type AdmitRequest,
  type Admission,
  type LikeAction,
  type PostApply,
  type PostSnapshot,
  type PostView,
  type SpeedCount,
  type SpeedLayer,
  type StoredResponse,
} from '@likepipe/core';
import { fire, type Breaker } from '../resilience/breaker.js';
import { redisDuration } from '../observability/metrics.js';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisCluster } from './client.js';
import { keySlot } from './key-slot.js';
import { redisKeys, shardOf } from './keys.js';
import { SplitPosts, UNSPLIT, type PostLayout } from './split-posts.js';

/** SADD batch size when staging a post's likers: keeps each command short for a post with millions of likers. */
const STAGE_CHUNK = 5_000;
const STAGE_TTL_MS = 120_000;
/** How long a replica trusts a split post's layout before re-reading it (see SplitPosts). */
const LAYOUT_TTL_MS = 1_000;
/** A fenced sub-slot's marker outlives any layout a replica still holds by far. */
const FENCE_TTL_MS = 3_600_000;
/** While the reconciler reinstalls a fenced post, a like waits for the new layout this long at most. */
const CLOSED_RETRY_MS = 25;
const CLOSED_MAX_WAIT_MS = 3_000;
/** SSCAN page when copying a split post's frozen base into its sub-slots. */
const SEED_CHUNK = 2_000;
/** A seeding that failed (or whose process went away) is tried again after this long. */
const SEED_RETRY_MS = 10_000;
/** Epochs tried when splitting, to spread the sub-slots over the masters (see spreadEpoch). */
const EPOCH_CANDIDATES = 256;

export interface SplitOptions {
  /** Likes+unlikes per second on one post (counted in its base slot, across replicas) that split it; 0 = never. */
  hotRate: number;
  /** Sub-slots a hot post is split over. */
  shards: number;
  /** How long a split post's summed count answers likes before it is summed again. */
  countTtlMs: number;
  /** Told when this process split a hot post, or failed to (the next hot window asks again). */
  onSplit?: (postId: string, outcome: PostLayout | Error | null) => void;
}

const NO_SPLIT: SplitOptions = { hotRate: 0, shards: 8, countTtlMs: 500 };

type BaseAnswer = [string, ...(string | number)[]];

/**
 * The SpeedLayer port on Redis Cluster. Each step is one Lua script in one hash slot. A hot post is split over
 * sub-slots (post-split.lua, shard-apply.lua): its base slot's likers set and count freeze, and each like goes
 * to the sub-slot of its user, so one post's writes spread over as many masters as it has sub-slots.
 */
export class RedisSpeedLayer implements SpeedLayer {
  private readonly split: SplitPosts;
  /** When this process last started seeding each (post, split epoch). */
  private readonly seeding = new Map<string, number>();

  constructor(
    private readonly redis: RedisCluster,
    private readonly breaker: Breaker,
    private readonly splitting: SplitOptions = NO_SPLIT,
  ) {
    this.split = new SplitPosts({ layoutTtlMs: LAYOUT_TTL_MS, countTtlMs: splitting.countTtlMs, max: 10_000 });
  }

  async admit(req: AdmitRequest): Promise<Admission> {
    const [rate, idem, useIdem] = this.userKeys(req.userId, req.idempotencyKey);
    const r = (await this.call('admit', () =>
      this.redis.userAdmit(rate, idem, req.limit, req.windowMs, req.fingerprint, req.inflightTtlMs, useIdem),
    )) as [string, string | number | undefined];
    switch (r[0]) {
      case 'admitted':
        return { kind: 'admitted', slot: String(r[1]) };
      case 'replay':
        return { kind: 'replay', response: JSON.parse(String(r[1])) as StoredResponse };
      case 'in_progress':
        return { kind: 'in_progress' };
      case 'key_reused':
        return { kind: 'key_reused' };
      case 'rate_limited':
        return { kind: 'rate_limited', retryAfterMs: Number(r[1]) };
      default:
        throw new Error(`user-admit.lua returned an unknown answer: ${String(r[0])}`);
    }
  }

  async release(userId: string, slot: string, idempotencyKey?: string): Promise<void> {
    const [rate, idem, useIdem] = this.userKeys(userId, idempotencyKey);
    await this.call('release', () => this.redis.userRelease(rate, idem, slot, useIdem));
  }

  async completeIdempotency(
    userId: string,
    idempotencyKey: string,
    fingerprint: string,
    response: StoredResponse,
    ttlMs: number,
  ): Promise<void> {
    const key = redisKeys.idempotency(userId, idempotencyKey);
    await this.call('complete', () => this.redis.userComplete(key, fingerprint, JSON.stringify(response), ttlMs));
  }

  async apply(postId: string, userId: string, action: LikeAction): Promise<PostApply> {
    const deadline = Date.now() + CLOSED_MAX_WAIT_MS;
    for (;;) {
      const layout = this.split.layout(postId);
      if (!layout) {
        const r = (await this.call('apply', () =>
          this.redis.postApply(
            redisKeys.post(postId),
            redisKeys.likers(postId),
            userId,
            action,
            this.splitting.hotRate,
          ),
        )) as BaseAnswer;
        if (r[0] === 'miss') return { kind: 'unknown_post' };
        if (r[0] === 'split') {
          this.split.learn(postId, { shards: Number(r[1]), epoch: String(r[2]) });
          continue;
        }
        if (r[3] === 1) await this.splitQuietly(postId);
        return { kind: 'applied', changed: r[1] === 1, likeCount: Number(r[2]) };
      }
      const r = await this.applyInShard(postId, layout, userId, action);
      if (r === 'closed') {
        await this.afterClosed(postId, layout, deadline);
        continue;
      }
      const delta = r.changed ? (action === 'like' ? 1 : -1) : 0;
      const likeCount = await this.split.countAfter(postId, delta, () => this.summedCount(postId, layout));
      return { kind: 'applied', changed: r.changed, likeCount };
    }
  }

  async revert(postId: string, userId: string, action: LikeAction): Promise<void> {
    let layout = this.split.layout(postId);
    if (!layout) {
      const r = (await this.call('revert', () =>
        this.redis.postRevert(redisKeys.post(postId), redisKeys.likers(postId), userId, action),
      )) as number | BaseAnswer;
      if (!Array.isArray(r)) return;
      layout = { shards: Number(r[1]), epoch: String(r[2]) };
      this.split.learn(postId, layout);
    }
    // The post was split after (or before) the apply: its opposite action in the user's sub-slot undoes it. A
    // fenced sub-slot needs nothing: the reinstall reads Postgres, which never saw this action.
    await this.applyInShard(postId, layout, userId, action === 'like' ? 'unlike' : 'like');
  }

  /**
   * Splits the post over the configured number of sub-slots, or returns the layout already in force; null when
   * the post is not in Redis. Normally asked by apply() when the base slot reports the post hot.
   */
  async splitPost(postId: string, shards = this.splitting.shards): Promise<PostLayout | null> {
    const epoch = this.spreadEpoch(postId, shards);
    const r = (await this.call('split', () =>
      this.redis.postSplit(redisKeys.post(postId), redisKeys.likers(postId), shards, epoch),
    )) as BaseAnswer;
    if (r[0] !== 'split') return null;
    const layout = { shards: Number(r[1]), epoch: String(r[2]) };
    this.split.learn(postId, layout);
    this.seedSoon(postId, layout);
    return layout;
  }

  /**
   * A fresh epoch whose sub-slots land on as many different masters as the cluster has (then as evenly as
   * possible): the epoch is in every sub-slot's hash tag, so trying a few and keeping the best spreads the post
   * by the client's slot map alone. Masters fail over with their slots, so the spread survives a failover.
   */
  private spreadEpoch(postId: string, shards: number): string {
    let best = { epoch: randomBytes(4).toString('hex'), masters: 0, worst: Infinity };
    for (let i = 0; i < EPOCH_CANDIDATES; i++) {
      const epoch = i === 0 ? best.epoch : randomBytes(4).toString('hex');
      const perMaster = new Map<string, number>();
      for (let k = 0; k < shards; k++) {
        const master = this.redis.slots[keySlot(redisKeys.shard(postId, epoch, k))]?.[0] ?? `?${k}`;
        perMaster.set(master, (perMaster.get(master) ?? 0) + 1);
      }
      const worst = Math.max(...perMaster.values());
      if (perMaster.size > best.masters || (perMaster.size === best.masters && worst < best.worst))
        best = { epoch, masters: perMaster.size, worst };
    }
    return best.epoch;
  }

  async read(postId: string, userId: string): Promise<(PostView & { likedByMe: boolean }) | null> {
    const r = (await this.call('read', () =>
      this.redis.postRead(redisKeys.post(postId), redisKeys.likers(postId), userId),
    )) as [string, string?, string?, string?, number?, number?, string?];
    if (r[0] === 'miss') return null;
    const view = { id: postId, authorId: r[1]!, createdAt: r[2]!, likeCount: Number(r[3]), likedByMe: r[4] === 1 };
    const layout = { shards: Number(r[5] ?? 1), epoch: String(r[6] ?? '') };
    this.split.learn(postId, layout);
    if (layout.shards <= 1) return view;
    const [partials, likedByMe] = await Promise.all([
      this.partials(postId, layout),
      userId === '' ? Promise.resolve(false) : this.likesInShard(postId, layout, userId, view.likedByMe),
    ]);
    return { ...view, likeCount: view.likeCount + partials, likedByMe };
  }

  warm(snapshot: PostSnapshot): Promise<void> {
    return this.install(snapshot, 'warm').then(() => undefined);
  }

  /** Installs the truth unsplit; a 'replace' of a split post must go through replaceFromTruth, which fences. */
  async install(snapshot: PostSnapshot, mode: 'warm' | 'replace'): Promise<number> {
    const r = await this.installAs(snapshot, mode, '');
    if (r === 'moved') throw new SpeedLayerUnavailableError(`post ${snapshot.id} is split: replace it from the truth`);
    return r;
  }

  /** Stages the likers, then swaps them in with the counter set to their cardinality. */
  private async installAs(snapshot: PostSnapshot, mode: 'warm' | 'replace', epoch: string): Promise<number | 'moved'> {
    const staging = redisKeys.likersStaging(snapshot.id);
    for (let i = 0; i < snapshot.likers.length; i += STAGE_CHUNK) {
      const chunk = snapshot.likers.slice(i, i + STAGE_CHUNK);
      await this.call('stage', () =>
        this.redis
          .multi()
          .sadd(staging, ...chunk)
          .pexpire(staging, STAGE_TTL_MS)
          .exec(),
      );
    }
    const r = (await this.call('install', () =>
      this.redis.postInstall(
        redisKeys.post(snapshot.id),
        redisKeys.likers(snapshot.id),
        staging,
        snapshot.authorId,
        snapshot.createdAt,
        mode,
        epoch,
      ),
    )) as [number | string, number | string];
    if (r[0] === 'moved') return 'moved';
    return Number(r[1]);
  }

  /**
   * The reconciler's repair and un-split: fences every sub-slot of a split post (shard-fence.lua) so no
   * replica writes where the reinstall will not look, only then loads the truth (so it holds every like a
   * sub-slot accepted), and installs it unsplit. Returns the installed count, or null when the truth has no
   * such post.
   */
  async replaceFromTruth(postId: string, load: () => Promise<PostSnapshot | null>): Promise<number | null> {
    for (let attempt = 0; ; attempt++) {
      const layout = await this.readLayout(postId);
      if (layout.shards > 1) await this.fence(postId, layout);
      const snapshot = await load();
      if (!snapshot) return null;
      const installed = await this.installAs(snapshot, 'replace', layout.epoch);
      if (installed !== 'moved') {
        this.split.forget(postId);
        return installed;
      }
      // Split again between our layout read and the install: fence that split too.
      if (attempt >= 3) throw new SpeedLayerUnavailableError(`post ${postId} kept being split during a reinstall`);
    }
  }

  /** Served count (the frozen base plus every sub-slot's partial when split) and layout, or null when absent. */
  async count(postId: string): Promise<SpeedCount | null> {
    const v = await this.call('count', () => this.redis.hmget(redisKeys.post(postId), 'count', 'shards', 'epoch'));
    if (v[0] === null || v[0] === undefined) return null;
    const layout = layoutOf(v[1], v[2]);
    const count = Number(v[0]) + (layout.shards > 1 ? await this.partials(postId, layout) : 0);
    return { count, shards: layout.shards };
  }

  /** The split post's count: frozen base + partials, one round trip per node (ioredis auto-pipelines them). */
  private async summedCount(postId: string, layout: PostLayout): Promise<number | null> {
    const [base, partials] = await Promise.all([
      this.call('count', () => this.redis.hget(redisKeys.post(postId), 'count')),
      this.partials(postId, layout),
    ]);
    return base === null ? null : Number(base) + partials;
  }

  private async partials(postId: string, layout: PostLayout): Promise<number> {
    const all = await this.call('partials', () =>
      Promise.all(
        Array.from({ length: layout.shards }, (_, k) =>
          this.redis.hget(redisKeys.shard(postId, layout.epoch, k), 'partial'),
        ),
      ),
    );
    return all.reduce((sum, v) => sum + Number(v ?? 0), 0);
  }

  private async applyInShard(
    postId: string,
    layout: PostLayout,
    userId: string,
    action: LikeAction,
  ): Promise<{ changed: boolean } | 'closed'> {
    const k = shardOf(userId, layout.shards);
    let inBase: '?' | '0' | '1' = '?';
    for (;;) {
      const r = (await this.call('shard', () =>
        this.redis.shardApply(
          redisKeys.shard(postId, layout.epoch, k),
          redisKeys.shardLikers(postId, layout.epoch, k),
          redisKeys.shardUnliked(postId, layout.epoch, k),
          redisKeys.shardBased(postId, layout.epoch, k),
          userId,
          action,
          inBase,
        ),
      )) as [string, number?, number?];
      if (r[0] === 'closed') return 'closed';
      if (r[0] === 'ok') return { changed: r[1] === 1 };
      // need_base: the sub-slot has no copy of the frozen base yet. The base set is frozen once split, so this
      // answer cannot go stale before the sub-slot script runs again.
      const member = await this.call('member', () => this.redis.sismember(redisKeys.likers(postId), userId));
      inBase = member === 1 ? '1' : '0';
      this.seedSoon(postId, layout);
    }
  }

  /**
   * Copies the frozen base likers set into the sub-slots (each its share, then shard-seeded.lua), so likes stop
   * reading the base slot. Once per post and split per process at a time, again at most every SEED_RETRY_MS.
   */
  private seedSoon(postId: string, layout: PostLayout): void {
    const id = `${postId}\u0000${layout.epoch}`;
    const last = this.seeding.get(id);
    if (last !== undefined && Date.now() - last < SEED_RETRY_MS) return;
    if (this.seeding.size >= 10_000) this.seeding.clear();
    this.seeding.set(id, Date.now());
    this.seed(postId, layout).catch(() => this.seeding.set(id, Date.now() - SEED_RETRY_MS / 2));
  }

  /** Seeds every sub-slot of a split post from its frozen base set; resolves once all are marked. */
  async seed(postId: string, layout: PostLayout): Promise<void> {
    let cursor = '0';
    do {
      const [next, members] = await this.call('seed', () =>
        this.redis.sscan(redisKeys.likers(postId), cursor, 'COUNT', SEED_CHUNK),
      );
      cursor = next;
      const byShard = new Map<number, string[]>();
      for (const m of members) {
        const k = shardOf(m, layout.shards);
        byShard.set(k, [...(byShard.get(k) ?? []), m]);
      }
      await this.call('seed', () =>
        Promise.all(
          [...byShard].map(([k, ms]) => this.redis.sadd(redisKeys.shardBased(postId, layout.epoch, k), ...ms)),
        ),
      );
    } while (cursor !== '0');
    await this.call('seed', () =>
      Promise.all(
        Array.from({ length: layout.shards }, (_, k) =>
          this.redis.shardSeeded(
            redisKeys.shard(postId, layout.epoch, k),
            redisKeys.shardBased(postId, layout.epoch, k),
          ),
        ),
      ),
    );
  }

  private async likesInShard(postId: string, layout: PostLayout, userId: string, inBase: boolean): Promise<boolean> {
    const k = shardOf(userId, layout.shards);
    const key = inBase
      ? redisKeys.shardUnliked(postId, layout.epoch, k)
      : redisKeys.shardLikers(postId, layout.epoch, k);
    const member = await this.call('read', () => this.redis.sismember(key, userId));
    return inBase ? member === 0 : member === 1;
  }

  /** A fenced sub-slot: the reconciler is reinstalling the post. Wait for the layout to change, then go on. */
  private async afterClosed(postId: string, seen: PostLayout, deadline: number): Promise<void> {
    for (;;) {
      this.split.forget(postId);
      const now = await this.readLayout(postId);
      if (now.epoch !== seen.epoch) {
        this.split.learn(postId, now);
        return;
      }
      if (Date.now() > deadline)
        throw new SpeedLayerUnavailableError(`post ${postId} stayed fenced for a reinstall too long`);
      await sleep(CLOSED_RETRY_MS);
    }
  }

  private async readLayout(postId: string): Promise<PostLayout> {
    const v = await this.call('layout', () => this.redis.hmget(redisKeys.post(postId), 'shards', 'epoch'));
    return layoutOf(v[0], v[1]);
  }

  private async fence(postId: string, layout: PostLayout): Promise<void> {
    await this.call('fence', () =>
      Promise.all(
        Array.from({ length: layout.shards }, (_, k) =>
          this.redis.shardFence(
            redisKeys.shard(postId, layout.epoch, k),
            redisKeys.shardLikers(postId, layout.epoch, k),
            redisKeys.shardUnliked(postId, layout.epoch, k),
            redisKeys.shardBased(postId, layout.epoch, k),
            FENCE_TTL_MS,
          ),
        ),
      ),
    );
  }

  /** A failed split costs the like nothing: the next window's hot answer asks again. */
  private async splitQuietly(postId: string): Promise<void> {
    try {
      this.splitting.onSplit?.(postId, await this.splitPost(postId));
    } catch (err) {
      // The like itself was applied; splitting is an optimisation.
      this.splitting.onSplit?.(postId, err as Error);
    }
  }

  /** The user's rate log and idempotency record; without a key the second is a placeholder never written. */
  private userKeys(userId: string, idempotencyKey?: string): [string, string, '0' | '1'] {
    return idempotencyKey === undefined
      ? [redisKeys.rateLog(userId), redisKeys.idempotencyPlaceholder(userId), '0']
      : [redisKeys.rateLog(userId), redisKeys.idempotency(userId, idempotencyKey), '1'];
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const end = redisDuration.startTimer({ op });
    try {
      const v = await fire(this.breaker, fn);
      end({ outcome: 'ok' });
      return v;
    } catch (err) {
      end({ outcome: 'error' });
      // ioredis follows a MOVED reply for a lone command, but an auto-pipelined batch whose commands are
      // redirected to different slots fails as a whole and leaves the slot map stale (after a failover, a
      // split post's sub-slot reads do exactly that): refresh it so the next call goes to the new masters.
      if (/^(MOVED|ASK) /.test((err as Error).message ?? '')) this.redis.refreshSlotsCache();
      throw new SpeedLayerUnavailableError(`Redis ${op} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

function layoutOf(shards: string | null | undefined, epoch: string | null | undefined): PostLayout {
  const n = Number(shards ?? 1);
  return n > 1 ? { shards: n, epoch: epoch ?? '' } : UNSPLIT;
}
