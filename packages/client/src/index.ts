export { LikeClient, type LikeClientEvents, type LikeClientOptions } from './like-client.js';
export type { PostLikeView } from './like-state.js';
export type { RollbackEvent } from './coalescing-queue.js';
export {
  LikeTransport,
  type LikeOutcome,
  type PostSnapshot,
  type TokenSource,
  type TransportOptions,
} from './transport.js';
export { newIdempotencyKey } from './idempotency-key.js';
export * from './errors/index.js';
