export * from './top-k-heap.js';
export * from './feed-velocity.js';
export * from './feed-score.js';
export * from './feed-service.js';
