import type { LikeOutcome, PostSnapshot } from './transport.js';

/** What a like button should draw for one post. */
export interface PostLikeView {
  postId: string;
  /** The user's latest intent: the heart is filled the moment they tap, before any answer. */
  liked: boolean;
  /** The server's last count, moved by one while the user's intent is not yet confirmed; null while unknown. */
  likeCount: number | null;
  /** A request is in flight or about to be sent. */
  pending: boolean;
  /** The last confirmation was a 202 (the API's degraded mode): durable, but the count may lag for a while. */
  degraded: boolean;
}

/** A request the post needs: set `liked`, sent (and retried) with `idempotencyKey`. */
export interface LikeRequest {
  liked: boolean;
  idempotencyKey: string;
}

/**
 * Everything the client knows about one post. Two facts are kept apart: what the server last confirmed, and
 * what the user last asked for. The view is derived from both, and a request is needed exactly when they differ.
 */
export interface PostLikeState {
  readonly postId: string;
  /** Last state the server confirmed; `liked` is undefined until the post was loaded or a request answered. */
  readonly confirmed: { readonly liked: boolean | undefined; readonly likeCount: number | null };
  readonly degraded: boolean;
  /** The user's last tap (undefined: no tap yet) and the idempotency key made for that tap. */
  readonly intent: boolean | undefined;
  readonly intentKey: string | undefined;
  readonly inFlight: LikeRequest | undefined;
  /** Bumped by every tap, so an answer to a GET sent before a tap can be recognised as stale. */
  readonly taps: number;
}

export function initialState(postId: string): PostLikeState {
  return {
    postId,
    confirmed: { liked: undefined, likeCount: null },
    degraded: false,
    intent: undefined,
    intentKey: undefined,
    inFlight: undefined,
    taps: 0,
  };
}

/** A tap only records the intent; whether and when it reaches the server is up to `nextRequest`. */
export function tap(s: PostLikeState, liked: boolean, idempotencyKey: string): PostLikeState {
  return { ...s, intent: liked, intentKey: idempotencyKey, taps: s.taps + 1 };
}

/**
 * The request to send now, if any: never a second one while one is in flight (the server sees each user's
 * actions on a post in order), and none when the server already has what the user wants — so like, unlike,
 * like while a like is in flight sends nothing more. The key is the one made for the tap that set the intent.
 */
export function nextRequest(s: PostLikeState): LikeRequest | undefined {
  if (s.inFlight || s.intent === undefined || s.intentKey === undefined) return undefined;
  if (s.intent === s.confirmed.liked) return undefined;
  return { liked: s.intent, idempotencyKey: s.intentKey };
}

export function startRequest(s: PostLikeState, request: LikeRequest): PostLikeState {
  return { ...s, inFlight: request };
}

/** The server answered: its state becomes the confirmed one, and its count replaces ours. */
export function confirm(s: PostLikeState, outcome: LikeOutcome): PostLikeState {
  let likeCount = outcome.likeCount;
  if (likeCount === null) {
    // 202 degraded gives no count: keep ours, moved by the change the server just accepted.
    const before = s.confirmed;
    likeCount =
      before.likeCount === null || before.liked === undefined
        ? null
        : Math.max(0, before.likeCount + delta(before.liked, outcome.liked));
  }
  return { ...s, inFlight: undefined, confirmed: { liked: outcome.liked, likeCount }, degraded: outcome.degraded };
}

/**
 * The request failed for good: back to what the server last confirmed. Taps made meanwhile are dropped too —
 * they were built on a state the server never reached, and a silent retry of them would surprise the user.
 */
export function rollBack(s: PostLikeState): PostLikeState {
  return { ...s, inFlight: undefined, intent: s.confirmed.liked, intentKey: undefined };
}

/**
 * A GET's answer, fetched when the post had seen `tapsAtFetch` taps. Ignored when a request is in flight or
 * the user tapped since: the snapshot may then predate the server applying that request.
 */
export function applySnapshot(s: PostLikeState, snapshot: PostSnapshot, tapsAtFetch: number): PostLikeState {
  if (s.inFlight || s.taps !== tapsAtFetch) return s;
  const idle = nextRequest(s) === undefined;
  return {
    ...s,
    confirmed: { liked: snapshot.liked, likeCount: snapshot.likeCount },
    degraded: false,
    // Idle means the intent was already the server's: follow the server (e.g. a like from another device).
    intent: idle ? snapshot.liked : s.intent,
  };
}

export function view(s: PostLikeState): PostLikeView {
  const liked = s.intent ?? s.confirmed.liked ?? false;
  const { likeCount, liked: confirmedLiked } = s.confirmed;
  return {
    postId: s.postId,
    liked,
    likeCount:
      likeCount === null || confirmedLiked === undefined ? null : Math.max(0, likeCount + delta(confirmedLiked, liked)),
    pending: s.inFlight !== undefined || nextRequest(s) !== undefined,
    degraded: s.degraded,
  };
}

function delta(from: boolean, to: boolean): number {
  return from === to ? 0 : to ? 1 : -1;
}
