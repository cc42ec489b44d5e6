import { randomUUID } from 'node:crypto';
import {
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  NotFoundError,
  RateLimitedError,
  SpeedLayerUnavailableError,
  UnavailableError,
} from './errors/index.js';
import type { LikeAction, LikeEvent } from './events.js';
import type { LocalRateLimiter } from './local-rate-limiter.js';
import type {
  Clock,
  EventLog,
  LocalIdempotencyStore,
  PostApply,
  PostStore,
  SpeedLayer,
  StoredResponse,
  TruthReader,
} from './ports.js';
import { SingleFlight } from './single-flight.js';

export interface LikeCommand {
  userId: string;
  postId: string;
  action: LikeAction;
  idempotencyKey?: string;
}

export interface LikeResult extends StoredResponse {
  replayed: boolean;
}

export interface LikeServiceOptions {
  rateLimit: number;
  rateWindowMs: number;
  idempotencyTtlMs: number;
  /** How long a crashed request's in-flight marker blocks retries of the same key. */
  inflightTtlMs: number;
}

export interface LikeServiceDeps {
  speed: SpeedLayer;
  log: EventLog;
  truth: TruthReader;
  posts: PostStore;
  clock: Clock;
  localLimiter: LocalRateLimiter;
  localIdempotency: LocalIdempotencyStore;
  options: LikeServiceOptions;
  /** Notified when a request takes the degraded path; the HTTP shell counts it. */
  onDegraded?: (reason: string) => void;
  /** The post's count as Redis answered a like or unlike this process made durable. */
  onCount?: (postId: string, likeCount: number) => void;
  onWarn?: (msg: string, err: unknown) => void;
}

/**
 * The like path. Order matters and is the design: (1) the user's Redis slot admits the request (idempotency,
 * rate limit); (2) the post's Redis slot applies it (dedup + counter); (3) the event is made durable in Kafka;
 * only then (4) do we answer. When (3) fails, (1) and (2) are undone so Redis keeps no trace of an action the
 * client was told failed. When Redis fails, the action skips (1)-(2) and is only logged to Kafka, marked so
 * the reconciler repairs the post later.
 */
export class LikeService {
  private readonly warming = new SingleFlight<boolean>();

  constructor(private readonly deps: LikeServiceDeps) {}

  async act(cmd: LikeCommand): Promise<LikeResult> {
    const { speed, options } = this.deps;
    const fingerprint = `${cmd.action}:${cmd.postId}`;
    let admission;
    try {
      admission = await speed.admit({
        userId: cmd.userId,
        ...(cmd.idempotencyKey !== undefined ? { idempotencyKey: cmd.idempotencyKey } : {}),
        fingerprint,
        limit: options.rateLimit,
        windowMs: options.rateWindowMs,
        inflightTtlMs: options.inflightTtlMs,
      });
    } catch (err) {
      if (err instanceof SpeedLayerUnavailableError) return this.actDegraded(cmd, fingerprint, 'redis_admit');
      throw err;
    }
    switch (admission.kind) {
      case 'replay':
        return { ...admission.response, replayed: true };
      case 'in_progress':
        throw new IdempotencyInProgressError();
      case 'key_reused':
        throw new IdempotencyKeyReusedError();
      case 'rate_limited':
        throw new RateLimitedError(admission.retryAfterMs, options.rateLimit, options.rateWindowMs);
      case 'admitted':
        break;
    }
    const slot = admission.slot;

    let applied: PostApply;
    try {
      applied = await this.applyWithWarm(cmd);
    } catch (err) {
      if (err instanceof SpeedLayerUnavailableError) {
        await this.quietly(() => speed.release(cmd.userId, slot, cmd.idempotencyKey));
        return this.actDegraded(cmd, fingerprint, 'redis_apply');
      }
      await this.quietly(() => speed.release(cmd.userId, slot, cmd.idempotencyKey));
      throw err;
    }
    if (applied.kind === 'unknown_post') {
      await this.quietly(() => speed.release(cmd.userId, slot, cmd.idempotencyKey));
      throw new NotFoundError(`post ${cmd.postId} does not exist`);
    }

    try {
      await this.deps.log.publish(this.event(cmd, false, applied.changed));
    } catch (err) {
      if (applied.changed) await this.quietly(() => speed.revert(cmd.postId, cmd.userId, cmd.action));
      await this.quietly(() => speed.release(cmd.userId, slot, cmd.idempotencyKey));
      throw new UnavailableError('the like could not be made durable; nothing was changed, retry later', 5, {
        cause: err,
      });
    }

    this.deps.onCount?.(cmd.postId, applied.likeCount);
    const response: StoredResponse = {
      status: 200,
      body: {
        postId: cmd.postId,
        liked: cmd.action === 'like',
        changed: applied.changed,
        likeCount: applied.likeCount,
      },
    };
    if (cmd.idempotencyKey !== undefined) {
      // The action is already durable; if this write fails, the in-flight marker expires and a retry replays
      // the action, which the truth-writer's last-intent folding makes harmless.
      await this.quietly(() =>
        speed.completeIdempotency(cmd.userId, cmd.idempotencyKey!, fingerprint, response, options.idempotencyTtlMs),
      );
    }
    return { ...response, replayed: false };
  }

  private async applyWithWarm(cmd: LikeCommand): Promise<PostApply> {
    const first = await this.deps.speed.apply(cmd.postId, cmd.userId, cmd.action);
    if (first.kind === 'applied') return first;
    const exists = await this.warm(cmd.postId);
    if (!exists) return first;
    const second = await this.deps.speed.apply(cmd.postId, cmd.userId, cmd.action);
    // The post exists (we just loaded it) but Redis lost it again (eviction under memory pressure): a 404 would
    // be a lie, so take the path that does not need Redis.
    if (second.kind === 'unknown_post')
      throw new SpeedLayerUnavailableError(`post ${cmd.postId} evicted while warming`);
    return second;
  }

  /** Cache-aside: loads the post's truth into Redis, once per post per process however many wait for it. */
  warm(postId: string): Promise<boolean> {
    return this.warming.run(postId, async () => {
      const snapshot = await this.deps.truth.loadSnapshot(postId);
      if (!snapshot) return false;
      await this.deps.speed.warm(snapshot);
      return true;
    });
  }

  private async actDegraded(cmd: LikeCommand, fingerprint: string, reason: string): Promise<LikeResult> {
    this.deps.onDegraded?.(reason);
    const idemKey = cmd.idempotencyKey !== undefined ? `${cmd.userId}\u0000${cmd.idempotencyKey}` : undefined;
    if (idemKey !== undefined) {
      const seen = this.deps.localIdempotency.get(idemKey);
      if (seen) {
        if (seen.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
        return { ...seen.response, replayed: true };
      }
    }
    const waitMs = this.deps.localLimiter.tryAcquire(cmd.userId);
    if (waitMs > 0) throw new RateLimitedError(waitMs, this.deps.options.rateLimit, this.deps.options.rateWindowMs);
    let exists: boolean;
    try {
      exists = await this.deps.posts.exists(cmd.postId);
    } catch (err) {
      throw new UnavailableError('neither Redis nor Postgres could confirm the post exists; retry later', 5, {
        cause: err,
      });
    }
    if (!exists) throw new NotFoundError(`post ${cmd.postId} does not exist`);
    try {
      await this.deps.log.publish(this.event(cmd, true, null));
    } catch (err) {
      throw new UnavailableError('the like could not be made durable; nothing was changed, retry later', 5, {
        cause: err,
      });
    }
    const response: StoredResponse = {
      status: 202,
      body: { postId: cmd.postId, liked: cmd.action === 'like', changed: null, likeCount: null, degraded: true },
    };
    if (idemKey !== undefined) this.deps.localIdempotency.set(idemKey, { fingerprint, response });
    return { ...response, replayed: false };
  }

  private event(cmd: LikeCommand, redisBypassed: boolean, changed: boolean | null): LikeEvent {
    return {
      v: 1,
      id: randomUUID(),
      type: cmd.action,
      postId: cmd.postId,
      userId: cmd.userId,
      at: new Date(this.deps.clock.now()).toISOString(),
      redisBypassed,
      changed,
    };
  }

  private async quietly(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.deps.onWarn?.('best-effort Redis cleanup failed', err);
    }
  }
}
