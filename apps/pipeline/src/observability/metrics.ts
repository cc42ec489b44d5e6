import { MISNAMED_DEFAULT_METRICS, PIPELINE_METRICS } from '@likepipe/contract';
import client from 'prom-client';

/**
 * The pipeline's registry, built from the contract's definitions (packages/contract/src/metrics.ts: names,
 * help, labels, buckets), so the dashboards and alert rules that import those names cannot drift from what
 * is exported. Process metrics keep their conventional unprefixed names (`process_*`, `nodejs_*`).
 */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });
for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);

type Def<L extends string> = { readonly name: string; readonly help: string; readonly labelNames: readonly L[] };
const counter = <L extends string>(d: Def<L>) =>
  new client.Counter<L>({ name: d.name, help: d.help, labelNames: d.labelNames, registers: [registry] });
const gauge = <L extends string>(d: Def<L>) =>
  new client.Gauge<L>({ name: d.name, help: d.help, labelNames: d.labelNames, registers: [registry] });
const histogram = <L extends string>(d: Def<L> & { readonly buckets: readonly number[] }) =>
  new client.Histogram<L>({
    name: d.name,
    help: d.help,
    labelNames: d.labelNames,
    buckets: [...d.buckets],
    registers: [registry],
  });

const M = PIPELINE_METRICS;
export const httpRequests = counter(M.httpRequests);
export const httpDuration = histogram(M.httpDuration);
export const redisDuration = histogram(M.redisDuration);
export const kafkaProduceDuration = histogram(M.kafkaProduceDuration);
export const kafkaProduceBatchSize = histogram(M.kafkaProduceBatchSize);
export const breakerState = gauge(M.breakerState);
export const degradedActions = counter(M.degradedActions);
export const likeActions = counter(M.likeActions);
export const truthFlushes = counter(M.truthFlushes);
export const truthFlushEvents = histogram(M.truthFlushEvents);
export const truthFlushDuration = histogram(M.truthFlushDuration);
export const truthRowsChanged = counter(M.truthRowsChanged);
export const malformedEvents = counter(M.malformedEvents);
export const reconcileChecks = counter(M.reconcileChecks);
export const reconcileRepairs = counter(M.reconcileRepairs);
export const reconcileTickDuration = histogram(M.reconcileTickDuration);
export const redisKeeperPasses = counter(M.redisKeeperPasses);
export const redisKeeperActions = counter(M.redisKeeperActions);
export const redisKeeperClusterOk = gauge(M.redisKeeperClusterOk);
export const redisKeeperReachableNodes = gauge(M.redisKeeperReachableNodes);
export const redisKeeperUncoveredSlots = gauge(M.redisKeeperUncoveredSlots);
export const analyticsEvents = counter(M.analyticsEvents);
export const analyticsBatches = counter(M.analyticsBatches);
export const analyticsBatchDuration = histogram(M.analyticsBatchDuration);
export const notifierEvents = counter(M.notifierEvents);
export const notifierBatches = counter(M.notifierBatches);
export const notificationDeliveries = counter(M.notificationDeliveries);
export const consumerLagGauge = gauge(M.consumerLagGauge);
export const consumerRebalances = counter(M.consumerRebalances);
export const consumerStalls = counter(M.consumerStalls);
export const feedRankerEvents = counter(M.feedRankerEvents);
export const feedRankerBatches = counter(M.feedRankerBatches);
export const feedRefreshes = counter(M.feedRefreshes);
export const feedRefreshDuration = histogram(M.feedRefreshDuration);
export const feedCandidates = gauge(M.feedCandidates);
export const countCacheLookups = counter(M.countCacheLookups);
export const countCacheEntries = gauge(M.countCacheEntries);
