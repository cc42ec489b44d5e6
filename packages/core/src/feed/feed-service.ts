import { InvalidRequestError } from '../errors/invalid-request-error.js';
import type { Clock } from '../ports.js';
import {
  DEFAULT_RECENCY_HALF_LIFE_MS,
  feedScore,
  likesTerm,
  recencyTerm,
  relationshipTerm,
  type FeedTerms,
} from './feed-score.js';
import { TopKHeap } from './top-k-heap.js';

/** A post the feed-ranker considers: one of the hottest by like velocity, or one of the newest. */
export interface FeedCandidate {
  postId: string;
  authorId: string;
  /** ISO-8601. */
  createdAt: string;
  /** Likes in the last ten minutes (sliding window) when the snapshot was taken. */
  velocity: number;
}

/** The bounded candidate set the feed-ranker publishes; every API replica ranks from the same one. */
export interface FeedSnapshot {
  /** ISO-8601 time the ranker computed it. */
  computedAt: string;
  candidates: FeedCandidate[];
}

export interface FeedSnapshotSource {
  /** The newest snapshot, or null when no ranker has published one (yet, or for too long). */
  current(): Promise<FeedSnapshot | null>;
}

export interface Relationship {
  follows: boolean;
  /** Net likes the viewer has given the author's posts. */
  likesOfAuthor: number;
}

export interface RelationshipReader {
  /** The viewer's relationship to each of these authors; authors missing from the map have none. */
  relationships(viewerId: string, authorIds: readonly string[]): Promise<Map<string, Relationship>>;
}

export interface FeedItem {
  postId: string;
  authorId: string;
  createdAt: string;
  velocity: number;
  score: number;
  terms: FeedTerms;
}

export interface FeedView {
  computedAt: string | null;
  items: FeedItem[];
}

export const DEFAULT_FEED_LIMIT = 20;
export const MAX_FEED_LIMIT = 100;

/** Orders by score, then newer post, then post id: a total order, so equal scores rank the same on every call. */
export function ranksAbove(a: FeedItem, b: FeedItem): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt;
  return a.postId < b.postId;
}

/** `GET /api/feed?limit=K`: the viewer's top K of the ranker's candidates, with each score's terms. */
export class FeedService {
  constructor(
    private readonly deps: {
      snapshots: FeedSnapshotSource;
      relationships: RelationshipReader;
      clock: Clock;
      recencyHalfLifeMs?: number;
    },
  ) {}

  parseLimit(raw: unknown): number {
    if (raw === undefined) return DEFAULT_FEED_LIMIT;
    if (typeof raw !== 'string' || !/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_FEED_LIMIT) {
      throw new InvalidRequestError(`must be a whole number from 1 to ${MAX_FEED_LIMIT}`, 'query parameter limit');
    }
    return Number(raw);
  }

  async get(viewerId: string, limit: number): Promise<FeedView> {
    const snapshot = await this.deps.snapshots.current();
    if (!snapshot || snapshot.candidates.length === 0) return { computedAt: snapshot?.computedAt ?? null, items: [] };
    const authors = [...new Set(snapshot.candidates.map((c) => c.authorId))];
    const rel = await this.deps.relationships.relationships(viewerId, authors);
    return {
      computedAt: snapshot.computedAt,
      items: rankFeed(snapshot.candidates, rel, this.deps.clock.now(), limit, this.deps.recencyHalfLifeMs),
    };
  }
}

/** Scores every candidate for one viewer and keeps the best `limit` in a size-K heap: O(N log K). */
export function rankFeed(
  candidates: readonly FeedCandidate[],
  relationships: ReadonlyMap<string, Relationship>,
  now: number,
  limit: number,
  halfLifeMs = DEFAULT_RECENCY_HALF_LIFE_MS,
): FeedItem[] {
  let maxVelocity = 0;
  for (const c of candidates) maxVelocity = Math.max(maxVelocity, c.velocity);
  const heap = new TopKHeap<FeedItem>(limit, ranksAbove);
  for (const c of candidates) {
    const r = relationships.get(c.authorId);
    const terms: FeedTerms = {
      likes: likesTerm(c.velocity, maxVelocity),
      recency: recencyTerm(now - Date.parse(c.createdAt), halfLifeMs),
      relationship: r ? relationshipTerm(r.follows, r.likesOfAuthor) : 0,
    };
    heap.offer({ ...c, score: feedScore(terms), terms });
  }
  return heap.drain();
}

export interface FollowStore {
  /** Idempotent; returns whether a follow was added. */
  follow(followerId: string, followeeId: string, at: Date): Promise<boolean>;
  /** Idempotent; returns whether a follow was removed. */
  unfollow(followerId: string, followeeId: string): Promise<boolean>;
}

/** `PUT` / `DELETE /api/users/{id}/follow`. */
export class FollowService {
  constructor(private readonly deps: { follows: FollowStore; clock: Clock }) {}

  async set(
    followerId: string,
    followeeId: string,
    following: boolean,
  ): Promise<{ userId: string; following: boolean; changed: boolean }> {
    if (followerId === followeeId) throw new InvalidRequestError('you cannot follow yourself', 'path parameter id');
    const changed = following
      ? await this.deps.follows.follow(followerId, followeeId, new Date(this.deps.clock.now()))
      : await this.deps.follows.unfollow(followerId, followeeId);
    return { userId: followeeId, following, changed };
  }
}
