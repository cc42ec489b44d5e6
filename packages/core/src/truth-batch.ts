import type { LikeEvent } from './events.js';

/** What one truth-writer flush must make true in Postgres. Each (post, user) pair appears at most once. */
export interface TruthBatchPlan {
  likes: { postId: string; userId: string; at: string }[];
  unlikes: { postId: string; userId: string }[];
  /** Posts whose Redis state missed some of these events (Redis was bypassed): the reconciler repairs them. */
  bypassedPosts: string[];
  events: number;
}

/**
 * Folds a batch of events into the final intent per (post, user): the last event wins. Events for one pair
 * share a Kafka key and so a partition, so their order here is the order users acted in.
 *
 * Last-intent-wins is what makes replays harmless: applying "u likes p" to a state where u already likes p
 * changes nothing (the primary key dedups), so a batch replayed after a crash converges to the same rows.
 */
export function planTruthBatch(events: readonly LikeEvent[]): TruthBatchPlan {
  const last = new Map<string, LikeEvent>();
  const bypassed = new Set<string>();
  for (const e of events) {
    const key = `${e.postId}\u0000${e.userId}`;
    // Re-insert so Map order follows the last occurrence: stable, deterministic statement order.
    last.delete(key);
    last.set(key, e);
    if (e.redisBypassed) bypassed.add(e.postId);
  }
  const plan: TruthBatchPlan = { likes: [], unlikes: [], bypassedPosts: [...bypassed], events: events.length };
  for (const e of last.values()) {
    if (e.type === 'like') plan.likes.push({ postId: e.postId, userId: e.userId, at: e.at });
    else plan.unlikes.push({ postId: e.postId, userId: e.userId });
  }
  return plan;
}
