import {
  SpeedLayerUnavailableError,
  type AdmitRequest,
  type Admission,
  type LikeAction,
  type PostApply,
  type PostSnapshot,
  type PostView,
  type SpeedLayer,
  type StoredResponse,
} from '@likepipe/core';
import { fire, type Breaker } from '../resilience/breaker.js';
import { redisDuration } from '../observability/metrics.js';
import type { RedisCluster } from './client.js';
import { redisKeys } from './keys.js';

/** SADD batch size when staging a post's likers: keeps each command short for a post with millions of likers. */
const STAGE_CHUNK = 5_000;
const STAGE_TTL_MS = 120_000;

/** The SpeedLayer port on Redis Cluster. Each method is one Lua script in one hash slot. */
export class RedisSpeedLayer implements SpeedLayer {
  constructor(
    private readonly redis: RedisCluster,
    private readonly breaker: Breaker,
  ) {}

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
    const r = (await this.call('apply', () =>
      this.redis.postApply(redisKeys.post(postId), redisKeys.likers(postId), userId, action),
    )) as [string, number?, number?];
    if (r[0] === 'miss') return { kind: 'unknown_post' };
    return { kind: 'applied', changed: r[1] === 1, likeCount: Number(r[2]) };
  }

  async revert(postId: string, userId: string, action: LikeAction): Promise<void> {
    await this.call('revert', () =>
      this.redis.postRevert(redisKeys.post(postId), redisKeys.likers(postId), userId, action),
    );
  }

  async read(postId: string, userId: string): Promise<(PostView & { likedByMe: boolean }) | null> {
    const r = (await this.call('read', () =>
      this.redis.postRead(redisKeys.post(postId), redisKeys.likers(postId), userId),
    )) as [string, string?, string?, string?, number?];
    if (r[0] === 'miss') return null;
    return { id: postId, authorId: r[1]!, createdAt: r[2]!, likeCount: Number(r[3]), likedByMe: r[4] === 1 };
  }

  warm(snapshot: PostSnapshot): Promise<void> {
    return this.install(snapshot, 'warm').then(() => undefined);
  }

  /** Stages the likers, then swaps them in with the counter set to their cardinality. */
  async install(snapshot: PostSnapshot, mode: 'warm' | 'replace'): Promise<number> {
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
      ),
    )) as [number, number];
    return Number(r[1]);
  }

  /** Served count as Redis has it, or null when the post is not in Redis. For the reconciler. */
  async count(postId: string): Promise<number | null> {
    const v = await this.call('count', () => this.redis.hget(redisKeys.post(postId), 'count'));
    return v === null || v === undefined ? null : Number(v);
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
      throw new SpeedLayerUnavailableError(`Redis ${op} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
