import { initialState, view, type PostLikeState, type PostLikeView } from './like-state.js';

/** Holds every post's state and reports each change of what a button should draw (and only real changes). */
export class LikeStateStore {
  private readonly states = new Map<string, PostLikeState>();

  constructor(private readonly onViewChange: (view: PostLikeView) => void) {}

  get(postId: string): PostLikeState {
    return this.states.get(postId) ?? initialState(postId);
  }

  view(postId: string): PostLikeView {
    return view(this.get(postId));
  }

  /** Applies a transition; returns the state before and after it. */
  update(
    postId: string,
    transition: (s: PostLikeState) => PostLikeState,
  ): { before: PostLikeState; after: PostLikeState } {
    const before = this.get(postId);
    const after = transition(before);
    this.states.set(postId, after);
    const [a, b] = [view(before), view(after)];
    if (a.liked !== b.liked || a.likeCount !== b.likeCount || a.pending !== b.pending || a.degraded !== b.degraded) {
      this.onViewChange(b);
    }
    return { before, after };
  }
}
