import type { WorkerRole } from './roles.js';

/** The like-API's HTTP port, in a pod and by default on a laptop. */
export const API_PORT = 8080;

/**
 * Each worker role's default /metrics port on one machine (the local stack runs them side by side, so they
 * differ). In a pod every role uses POD_METRICS_PORT, the port named `metrics` that probes and scrapes use.
 */
export const WORKER_METRICS_PORTS = {
  'truth-writer': 9464,
  reconciler: 9465,
  'redis-cluster-keeper': 9466,
  analytics: 9467,
  notifier: 9468,
  'feed-ranker': 9469,
} as const satisfies Record<WorkerRole, number>;

export const POD_METRICS_PORT = WORKER_METRICS_PORTS['truth-writer'];

/** The operator's own /metrics, /healthz and /readyz. */
export const OPERATOR_PORT = 8080;

/** The Kafka topic every role uses unless LIKEPIPE_KAFKA_TOPIC says otherwise. */
export const DEFAULT_TOPIC = 'like-events';
