import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'likepipe_operator_' });

export const reconcileTotal = new Counter({
  name: 'likepipe_operator_reconcile_total',
  help: 'Reconciles of LikePipelines, by result (success, error, requeue: waiting on a problem the user must fix).',
  labelNames: ['result'] as const,
  registers: [registry],
});
export const reconcileErrors = new Counter({
  name: 'likepipe_operator_reconcile_errors_total',
  help: 'Reconciles that failed and were retried with backoff.',
  registers: [registry],
});
export const reconcileDuration = new Histogram({
  name: 'likepipe_operator_reconcile_duration_seconds',
  help: 'Time for one reconcile of one LikePipeline.',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
export const queueDepth = new Gauge({
  name: 'likepipe_operator_queue_depth',
  help: 'LikePipeline keys waiting in the work queue.',
  registers: [registry],
});
export const isLeader = new Gauge({
  name: 'likepipe_operator_leader',
  help: '1 while this replica holds the leader lease.',
  registers: [registry],
});
export const appliedObjects = new Counter({
  name: 'likepipe_operator_applies_total',
  help: 'Server-side applies sent, by kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});
export const prunedObjects = new Counter({
  name: 'likepipe_operator_prunes_total',
  help: 'Owned objects deleted because the spec no longer asks for them, by kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});
