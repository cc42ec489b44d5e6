import { CoalescingLikeQueue, type RollbackEvent } from './coalescing-queue.js';
import { newIdempotencyKey } from './idempotency-key.js';
import { applySnapshot, type PostLikeView } from './like-state.js';
import { LikeStateStore } from './like-state-store.js';
import { LikeTransport, type TransportOptions } from './transport.js';

export interface LikeClientOptions extends TransportOptions {
  /** Makes the idempotency key of each tap. Default: 128 random bits. */
  newIdempotencyKey?: () => string;
}

export interface LikeClientEvents {
  /** What a post's button should draw changed (a tap, an answer, a rollback, a refresh). */
  change: (view: PostLikeView) => void;
  /** A like or unlike failed for good and the button went back to the server's state: tell the user. */
  rollback: (event: RollbackEvent) => void;
}

/**
 * An optimistic like button's model. `like`/`unlike`/`toggle` change the local state synchronously; the
 * request runs in the background (coalesced per post, retried with the tap's idempotency key) and either the
 * server's answer reconciles the count or a `rollback` event reports that the tap did not stick.
 *
 *   const client = new LikeClient({ baseUrl: '', token });
 *   client.on('change', render);
 *   client.on('rollback', (e) => showNote(`Could not ${e.attempted ? 'like' : 'unlike'}: ${e.error.code}`));
 *   await client.load(['post-1']);
 *   client.toggle('post-1');
 */
export class LikeClient {
  private readonly transport: LikeTransport;
  private readonly store: LikeStateStore;
  private readonly queue: CoalescingLikeQueue;
  private readonly listeners: { [K in keyof LikeClientEvents]: Set<LikeClientEvents[K]> } = {
    change: new Set(),
    rollback: new Set(),
  };

  constructor(options: LikeClientOptions) {
    this.transport = new LikeTransport(options);
    this.store = new LikeStateStore((v) => this.emit('change', v));
    this.queue = new CoalescingLikeQueue(
      this.store,
      this.transport,
      options.newIdempotencyKey ?? newIdempotencyKey,
      (e) => this.emit('rollback', e),
    );
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof LikeClientEvents>(event: K, listener: LikeClientEvents[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  like(postId: string): PostLikeView {
    this.queue.tap(postId, true);
    return this.get(postId);
  }

  unlike(postId: string): PostLikeView {
    this.queue.tap(postId, false);
    return this.get(postId);
  }

  toggle(postId: string): PostLikeView {
    return this.get(postId).liked ? this.unlike(postId) : this.like(postId);
  }

  /** The current view of a post (liked false and count null until it was loaded or tapped). */
  get(postId: string): PostLikeView {
    return this.store.view(postId);
  }

  /**
   * Fetches the server's state of a post and adopts it, unless the user tapped meanwhile or a request is in
   * flight (then the answer of that request is the fresher truth). Rejects with a LikeClientError.
   */
  async refresh(postId: string): Promise<PostLikeView> {
    const taps = this.store.get(postId).taps;
    const snapshot = await this.transport.getPost(postId);
    this.store.update(postId, (s) => applySnapshot(s, snapshot, taps));
    return this.get(postId);
  }

  /** `refresh` for several posts at once; rejects if any of them fails. */
  load(postIds: readonly string[]): Promise<PostLikeView[]> {
    return Promise.all(postIds.map((id) => this.refresh(id)));
  }

  /** Resolves once the post's taps have been answered (or rolled back). */
  settled(postId: string): Promise<void> {
    return this.queue.settled(postId);
  }

  /** Resolves once every post's taps have been answered (or rolled back). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private emit<K extends keyof LikeClientEvents>(event: K, arg: Parameters<LikeClientEvents[K]>[0]): void {
    for (const listener of this.listeners[event]) {
      try {
        (listener as (a: typeof arg) => void)(arg);
      } catch (err) {
        // A throwing listener must not stall a post's queue; rethrow where the host reports uncaught errors.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
