import type { LikeEvent } from '../events.js';
import { minuteOf } from '../minute-stats.js';

/** The like-velocity window: likes in the last ten minutes. */
export const VELOCITY_WINDOW_MS = 10 * 60_000;

/** One (post, minute) change to the velocity buckets: likes minus unlikes the API accepted in that minute. */
export interface VelocityDelta {
  postId: string;
  /** Start of the minute, ISO-8601 UTC. */
  minute: string;
  net: number;
}

/** One (viewer, post) change to how much the viewer likes that post's author: +1 per like, -1 per unlike. */
export interface AffinityDelta {
  userId: string;
  postId: string;
  net: number;
}

/**
 * Folds a batch of events into per-minute velocity changes and per-user affinity changes. Buckets follow the
 * time the API accepted the action (`at`), not when the ranker reads it, so a lagging or replaying ranker puts
 * every like in the same minute as a live one. Only actions that changed something count: a repeated like
 * (`changed: false`) is not a like; when Redis was bypassed nobody could tell and the action counts (the
 * reconciler repairs Redis; velocity leans to counting the tap). Events older than `oldestUsefulMs` before
 * `now` cannot move a velocity any more and are dropped from the buckets (they still count for affinity).
 */
export function foldFeedEvents(
  events: readonly LikeEvent[],
  now: number,
  oldestUsefulMs = VELOCITY_WINDOW_MS + 60_000,
): { velocity: VelocityDelta[]; affinity: AffinityDelta[] } {
  const velocity = new Map<string, VelocityDelta>();
  const affinity = new Map<string, AffinityDelta>();
  for (const e of events) {
    if (e.changed === false) continue;
    const sign = e.type === 'like' ? 1 : -1;
    const a = `${e.userId}\u0000${e.postId}`;
    const ad = affinity.get(a) ?? { userId: e.userId, postId: e.postId, net: 0 };
    ad.net += sign;
    affinity.set(a, ad);
    if (Date.parse(e.at) < now - oldestUsefulMs) continue;
    const minute = minuteOf(e.at);
    const v = `${e.postId}\u0000${minute}`;
    const vd = velocity.get(v) ?? { postId: e.postId, minute, net: 0 };
    vd.net += sign;
    velocity.set(v, vd);
  }
  return {
    velocity: [...velocity.values()].filter((d) => d.net !== 0),
    affinity: [...affinity.values()].filter((d) => d.net !== 0),
  };
}

/**
 * How much of the minute bucket starting at `minuteStart` lies inside the window (now - 10 min, now]: 1 for the
 * minutes fully inside, the overlapping fraction for the oldest one, 0 for older ones. Weighting the oldest
 * bucket makes the per-minute buckets slide smoothly instead of dropping a whole minute at once. The ranker's
 * SQL (sql/read-feed-velocity.sql) computes the same weight; this is its reference, tested in unit tests.
 */
export function bucketWeight(minuteStart: number, now: number, windowMs = VELOCITY_WINDOW_MS): number {
  const windowStart = now - windowMs;
  const inside = minuteStart + 60_000 - windowStart;
  return Math.min(1, Math.max(0, inside / 60_000));
}
