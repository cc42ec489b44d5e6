export * from './redis-cluster-nodes.js';
export * from './redis-cluster-plan.js';
export * from './topic-plan.js';
export * from './consumer-lag.js';
