import { MISNAMED_DEFAULT_METRICS, OPERATOR_METRICS } from '@likepipe/contract';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The operator's registry, built from the contract's definitions (packages/contract/src/metrics.ts). Process
 * metrics keep their conventional names (`process_*`, `nodejs_*`).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });
for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);

const M = OPERATOR_METRICS;
type Def<L extends string> = { readonly name: string; readonly help: string; readonly labelNames: readonly L[] };
const counter = <L extends string>(d: Def<L>) =>
  new Counter<L>({ name: d.name, help: d.help, labelNames: d.labelNames, registers: [registry] });
const gauge = <L extends string>(d: Def<L>) =>
  new Gauge<L>({ name: d.name, help: d.help, labelNames: d.labelNames, registers: [registry] });

export const reconcileTotal = counter(M.reconcileTotal);
export const reconcileErrors = counter(M.reconcileErrors);
export const reconcileDuration = new Histogram({
  name: M.reconcileDuration.name,
  help: M.reconcileDuration.help,
  buckets: [...M.reconcileDuration.buckets],
  registers: [registry],
});
export const queueDepth = gauge(M.queueDepth);
export const isLeader = gauge(M.isLeader);
export const appliedObjects = counter(M.appliedObjects);
export const prunedObjects = counter(M.prunedObjects);
