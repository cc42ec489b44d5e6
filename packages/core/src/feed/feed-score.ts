/**
 * The feed score the product asked for: `likes * 0.6 + recency * 0.3 + relationship * 0.1`, with each term
 * made comparable by mapping it onto [0, 1] first. Without that the like count (0 to millions) would drown the
 * other two terms and the weights would mean nothing.
 */
export const FEED_WEIGHTS = { likes: 0.6, recency: 0.3, relationship: 0.1 } as const;

/** A post loses half its recency every six hours by default (LIKEPIPE_FEED_RECENCY_HALF_LIFE_MS). */
export const DEFAULT_RECENCY_HALF_LIFE_MS = 6 * 60 * 60_000;

/** Likes of an author's posts at which interaction saturates: the 20th like means less than the first. */
export const INTERACTION_SATURATION = 20;

export interface FeedTerms {
  likes: number;
  recency: number;
  relationship: number;
}

/**
 * Likes term: ln(1 + v) / ln(1 + vMax), where v is the post's likes in the last ten minutes and vMax that of
 * the hottest candidate. Log scale because attention is: 10 → 100 likes is as big a jump as 100 → 1000. Relative
 * to the hottest post so the term spans [0, 1] at any traffic level without a tuned constant.
 */
export function likesTerm(velocity: number, maxVelocity: number): number {
  if (velocity <= 0 || maxVelocity <= 0) return 0;
  return Math.min(1, Math.log1p(velocity) / Math.log1p(maxVelocity));
}

/** Recency term: 2^(-age / halfLife): 1 for a post made now, 0.5 after one half-life, never negative. */
export function recencyTerm(ageMs: number, halfLifeMs = DEFAULT_RECENCY_HALF_LIFE_MS): number {
  return Math.pow(2, -Math.max(0, ageMs) / halfLifeMs);
}

/**
 * Relationship term: 0.6 if the viewer follows the author, plus up to 0.4 for how often the viewer has liked
 * the author's posts (log-scaled, saturating at INTERACTION_SATURATION likes). Following is the explicit
 * signal and weighs more; interaction lets authors the viewer engages with but never followed rise a little.
 */
export function relationshipTerm(follows: boolean, likesOfAuthor: number): number {
  const interaction = Math.min(1, Math.log1p(Math.max(0, likesOfAuthor)) / Math.log1p(INTERACTION_SATURATION));
  return (follows ? 0.6 : 0) + 0.4 * interaction;
}

export function feedScore(t: FeedTerms): number {
  return FEED_WEIGHTS.likes * t.likes + FEED_WEIGHTS.recency * t.recency + FEED_WEIGHTS.relationship * t.relationship;
}
