import type { LikeAction, LikeEvent } from './events.js';

/** What a post looks like to the speed layer and to readers. */
export interface PostView {
  id: string;
  authorId: string;
  createdAt: string;
  likeCount: number;
}

/** A post with everything needed to (re)build its Redis state: the truth, read from Postgres. */
export interface PostSnapshot extends PostView {
  likers: string[];
}

/** The answer stored under an idempotency key, replayed byte for byte. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface AdmitRequest {
  userId: string;
  idempotencyKey?: string;
  /** What the key is bound to; a different fingerprint under the same key is a reuse (422). */
  fingerprint: string;
  limit: number;
  windowMs: number;
  inflightTtlMs: number;
}

export type Admission =
  | { kind: 'admitted'; slot: string }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_progress' }
  | { kind: 'key_reused' }
  | { kind: 'rate_limited'; retryAfterMs: number };

export type PostApply = { kind: 'applied'; changed: boolean; likeCount: number } | { kind: 'unknown_post' };

/** The speed layer (Redis Cluster). Every method is one atomic step within one hash slot. */
export interface SpeedLayer {
  /** User slot: idempotency lookup + in-flight marker + sliding-window rate limit. */
  admit(req: AdmitRequest): Promise<Admission>;
  /** Undo an admission (the action was not made durable): frees the rate slot and the in-flight marker. */
  release(userId: string, slot: string, idempotencyKey?: string): Promise<void>;
  /** Record the final answer under the key so retries replay it. */
  completeIdempotency(
    userId: string,
    idempotencyKey: string,
    fingerprint: string,
    response: StoredResponse,
    ttlMs: number,
  ): Promise<void>;
  /** Post slot: dedup set + counter. `unknown_post` when the post's keys are not in Redis. */
  apply(postId: string, userId: string, action: LikeAction): Promise<PostApply>;
  /** Reverse an apply that reported changed=true. */
  revert(postId: string, userId: string, action: LikeAction): Promise<void>;
  /** The post's view and whether `userId` likes it, or null when its keys are not in Redis. */
  read(postId: string, userId: string): Promise<(PostView & { likedByMe: boolean }) | null>;
  /** Install a post's state if absent (cache-aside warm). */
  warm(snapshot: PostSnapshot): Promise<void>;
}

/** The buffer layer (Kafka). Resolves only once the event is durable (acks=all). */
export interface EventLog {
  publish(event: LikeEvent): Promise<void>;
}

/** Reads of the truth (Postgres). The like path only ever reads. */
export interface TruthReader {
  loadSnapshot(postId: string): Promise<PostSnapshot | null>;
  readPost(postId: string, userId: string): Promise<(PostView & { likedByMe: boolean }) | null>;
}

/**
 * Per-process cache of post views for count reads. `get` must let concurrent misses for one post share one
 * `load` (single flight): a viral post is read by thousands of clients at once.
 */
export interface PostViewCache {
  get(postId: string, load: () => Promise<PostView | null>): Promise<PostView | null>;
  /** A count this process just learned (a like it applied): refreshes a cached view without extending its life. */
  setCount(postId: string, likeCount: number): void;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Writes of posts. Creating a post is not on the like path; see README "Why post creation writes directly". */
export interface PostStore {
  /** Inserts the post; false when the id is taken. */
  create(post: { id: string; authorId: string; createdAt: string }): Promise<boolean>;
  exists(postId: string): Promise<boolean>;
}

/** Per-process memory of idempotent answers given while Redis was bypassed. */
export interface LocalIdempotencyStore {
  get(key: string): { fingerprint: string; response: StoredResponse } | undefined;
  set(key: string, value: { fingerprint: string; response: StoredResponse }): void;
}
