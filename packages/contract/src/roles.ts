/**
 * The roles of the one pipeline image, chosen by its first argument. The operator deploys roles, the local
 * stack starts them, dashboards group by them: this list is the only place their names are written.
 */
export const ROLES = [
  'like-api',
  'truth-writer',
  'analytics',
  'notifier',
  'feed-ranker',
  'reconciler',
  'migrate',
  'ensure-topic',
  'redis-cluster-keeper',
] as const;
export type Role = (typeof ROLES)[number];

/** The roles that consume the like-events topic, each in a consumer group of its own. */
export const CONSUMER_ROLES = ['truth-writer', 'analytics', 'notifier', 'feed-ranker'] as const;
export type ConsumerRole = (typeof CONSUMER_ROLES)[number];

/** Long-running roles that serve /metrics, /healthz and /readyz on a listener of their own (not the API). */
export const WORKER_ROLES = [...CONSUMER_ROLES, 'reconciler', 'redis-cluster-keeper'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** The Kafka consumer group of a consumer role. KEDA's scaler and the lag HPA select on it too. */
export function consumerGroup(role: ConsumerRole): `likepipe-${ConsumerRole}` {
  return `likepipe-${role}`;
}

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);
