import { LikeClientError, UnexpectedResponseError } from './errors/index.js';
import { confirm, nextRequest, rollBack, startRequest, tap, view } from './like-state.js';
import type { LikeStateStore } from './like-state-store.js';
import type { LikeTransport } from './transport.js';

/** Reported when a request failed for good and the post went back to the server's last confirmed state. */
export interface RollbackEvent {
  postId: string;
  /** What the failed request tried to set. */
  attempted: boolean;
  /** What the button shows now. */
  liked: boolean;
  error: LikeClientError;
}

/**
 * Per post, at most one request in flight. A tap only changes the intent and wakes the post's pump; when the
 * request in flight settles, the pump sends one more only if the server's confirmed state differs from the
 * latest intent. So any burst of taps costs at most two requests per post, and the server ends at the last tap.
 */
export class CoalescingLikeQueue {
  private readonly running = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(
    private readonly store: LikeStateStore,
    private readonly transport: LikeTransport,
    private readonly newKey: () => string,
    private readonly onRollback: (event: RollbackEvent) => void,
  ) {}

  /** Records the user's intent at once (the UI updates synchronously) and makes sure it reaches the server. */
  tap(postId: string, liked: boolean): void {
    // One key per tap, made now: if this tap's request is retried, every attempt carries the same key.
    this.store.update(postId, (s) => tap(s, liked, this.newKey()));
    if (!this.running.has(postId)) void this.pump(postId);
  }

  /** Resolves once the post has no request in flight or waiting. */
  settled(postId: string): Promise<void> {
    if (!this.running.has(postId)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(postId) ?? [];
      list.push(resolve);
      this.waiters.set(postId, list);
    });
  }

  /** Resolves once no post has a request in flight or waiting. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running].map((id) => this.settled(id)));
  }

  private async pump(postId: string): Promise<void> {
    this.running.add(postId);
    try {
      for (let request = nextRequest(this.store.get(postId)); request; request = nextRequest(this.store.get(postId))) {
        this.store.update(postId, (s) => startRequest(s, request!));
        try {
          const outcome = await this.transport.setLiked(postId, request.liked, request.idempotencyKey);
          this.store.update(postId, (s) => confirm(s, outcome));
        } catch (err) {
          const error = err instanceof LikeClientError ? err : new UnexpectedResponseError(String(err), undefined);
          const { before, after } = this.store.update(postId, rollBack);
          // Only a visible reversal needs telling: if the user's last tap already matched the server
          // (like, then unlike while the like failed), they see exactly what they asked for.
          if (view(before).liked !== view(after).liked) {
            this.onRollback({ postId, attempted: request.liked, liked: view(after).liked, error });
          }
        }
      }
    } finally {
      this.running.delete(postId);
      for (const resolve of this.waiters.get(postId) ?? []) resolve();
      this.waiters.delete(postId);
    }
  }
}
