import { PIPELINE_METRICS, SCRAPE_LABELS, consumerGroup } from '@likepipe/contract';
import { BURN_RATE_ALERTS, SLO } from '../slo.js';
import { PIPELINE_BY, selector, SLI, type Scope } from './recording.js';
import type { AlertingRule, RuleGroup } from './types.js';

/** Where the runbooks live (docs/runbooks/ of the repository); the operator's PrometheusRule can point elsewhere. */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/likepipe/likepipeline/blob/main/docs/runbooks';

/**
 * Every alert, with the runbook that answers it (docs/runbooks/<runbook>.md). The names are stable: silences,
 * routes and the runbooks refer to them.
 */
export const ALERTS = {
  availabilityBurn: { name: 'LikePipeApiAvailabilityBudgetBurn', runbook: 'api-availability-budget-burn' },
  latencyBurn: { name: 'LikePipeApiLatencyBudgetBurn', runbook: 'api-latency-budget-burn' },
  degraded: { name: 'LikePipeDegradedMode', runbook: 'degraded-mode' },
  breakerOpen: { name: 'LikePipeCircuitBreakerOpen', runbook: 'circuit-breaker-open' },
  lagGrowing: { name: 'LikePipeConsumerLagGrowing', runbook: 'consumer-lag-growing' },
  stallsRecurring: { name: 'LikePipeConsumerStallsRecurring', runbook: 'consumer-stalls-recurring' },
  truthWriterStalled: { name: 'LikePipeTruthWriterNotCommitting', runbook: 'truth-writer-not-committing' },
  repairsHigh: { name: 'LikePipeReconcilerRepairsHigh', runbook: 'reconciler-repairs-high' },
  produceErrors: { name: 'LikePipeKafkaProduceErrors', runbook: 'kafka-produce-errors' },
  redisCluster: { name: 'LikePipeRedisClusterUnhealthy', runbook: 'redis-cluster-unhealthy' },
  roleDown: { name: 'LikePipeRoleDown', runbook: 'role-down' },
} as const;
export type AlertKey = keyof typeof ALERTS;

/** Thresholds of the cause alerts, named so the runbooks, the rule tests and the rules agree. */
export const THRESHOLDS = {
  /** Lag (events) above which a growing lag is worth a look. */
  lagEvents: 1000,
  /** Share of reconciler checks that end in a repair. */
  repairRatio: 0.05,
  /** Share of likes and unlikes answered 202 (Redis bypassed). */
  degradedRatio: 0.01,
  /** Share of producer batches (acks=all) that failed. */
  produceErrorRatio: 0.01,
  /** Stalls of one consumer group in an hour above which the watchdog's restarts are not curing it. */
  stallsPerHour: 2,
} as const;

const { namespace, pipeline, role } = SCRAPE_LABELS;
const M = PIPELINE_METRICS;
const pct = (x: number) => `${+(x * 100).toFixed(3)}%`;
/** The labels each alert keeps, so a page says which pipeline. */
const where = `{{ $labels.${namespace} }}/{{ $labels.${pipeline} }}`;

function alert(
  key: AlertKey,
  base: string,
  a: Omit<AlertingRule, 'alert' | 'annotations' | 'labels'> & {
    severity: 'page' | 'ticket';
    labels?: Record<string, string>;
    summary: string;
    description: string;
  },
): AlertingRule {
  const { severity, labels, summary, description, ...rule } = a;
  return {
    alert: ALERTS[key].name,
    ...rule,
    labels: { severity, ...labels },
    annotations: { summary, description, runbook_url: `${base}/${ALERTS[key].runbook}.md` },
  };
}

function burnRateAlerts(base: string, scope?: Scope): AlertingRule[] {
  const slis = [
    { key: 'availabilityBurn', sli: SLI.errors, objective: SLO.availability, what: 'answered 5xx' },
    {
      key: 'latencyBurn',
      sli: SLI.slow,
      objective: SLO.latency.objective,
      what: `slower than ${SLO.latency.thresholdSeconds * 1000} ms`,
    },
  ] as const;
  return slis.flatMap(({ key, sli, objective, what }) =>
    BURN_RATE_ALERTS.map((b) => {
      const limit = +(b.burnRate * (1 - objective)).toPrecision(6);
      return alert(key, base, {
        expr: `${sli(b.long)}${selector('', scope)} > ${limit}\nand\n${sli(b.short)}${selector('', scope)} > ${limit}`,
        for: b.for,
        severity: b.severity,
        labels: { long_window: b.long, short_window: b.short },
        summary: `The like-API of ${where} burns its ${SLO.window} error budget ${b.burnRate}× too fast`,
        description:
          `{{ $value | humanizePercentage }} of API requests ${what} over the last ${b.short} (and more than ` +
          `${pct(limit)} over ${b.long}); the objective allows ${pct(1 - objective)}. At this rate the budget ` +
          `is gone in ${+((30 * 24) / b.burnRate).toFixed(1)} h.`,
      });
    }),
  );
}

function causeAlerts(base: string, scope?: Scope): AlertingRule[] {
  const sel = (matchers = '') => selector(matchers, scope);
  const lag = `max by (${PIPELINE_BY}, group) (${M.consumerLagGauge.name}${sel()})`;
  const truthGroup = consumerGroup('truth-writer');
  return [
    alert('degraded', base, {
      expr: `${SLI.degraded('5m')}${sel()} > ${THRESHOLDS.degradedRatio}`,
      // Longer than the 5-minute window a Redis failover of a minute or two keeps the ratio up for.
      for: '10m',
      severity: 'ticket',
      summary: `The like-API of ${where} accepts likes with Redis bypassed`,
      description:
        `{{ $value | humanizePercentage }} of likes and unlikes were answered 202 (degraded) for 10 minutes: ` +
        'Redis is failing for the API, likes are durable in Kafka but counts lag until Redis is back.',
    }),
    alert('breakerOpen', base, {
      expr: `max by (${PIPELINE_BY}, ${role}, breaker) (${M.breakerState.name}${sel()}) == 2`,
      for: '2m',
      severity: 'page',
      summary: `Circuit breaker {{ $labels.breaker }} of ${where} ({{ $labels.${role} }}) is open`,
      description:
        'The breaker has been open for 2 minutes: calls to {{ $labels.breaker }} fail fast. Open on Kafka means ' +
        'likes are refused (503); open on Redis means likes are degraded (202).',
    }),
    alert('lagGrowing', base, {
      expr: `${lag} > ${THRESHOLDS.lagEvents}\nand\nderiv(${lag}[10m:1m]) > 0`,
      for: '10m',
      severity: 'ticket',
      summary: `Consumer group {{ $labels.group }} of ${where} falls behind`,
      description:
        `{{ $value }} events not yet processed by {{ $labels.group }}, more than ${THRESHOLDS.lagEvents} and ` +
        'still growing after 10 minutes: the role consumes slower than likes arrive.',
    }),
    alert('stallsRecurring', base, {
      // One stall is cured by the watchdog's restart and is no alert; a group stalling again and again is.
      expr: `sum by (${PIPELINE_BY}, group) (increase(${M.consumerStalls.name}${sel()}[1h])) > ${THRESHOLDS.stallsPerHour}`,
      severity: 'ticket',
      summary: `Consumer group {{ $labels.group }} of ${where} keeps stalling`,
      description:
        `{{ $value | humanize }} partition stalls in the last hour (more than ${THRESHOLDS.stallsPerHour}): the ` +
        'watchdog of the role restarted its Kafka consumer each time, and the stalls came back.',
    }),
    alert('truthWriterStalled', base, {
      expr:
        `max by (${PIPELINE_BY}) (${M.consumerLagGauge.name}${sel(`group="${truthGroup}"`)}) > 0\n` +
        `and\nsum by (${PIPELINE_BY}) (increase(${M.truthFlushes.name}${sel('outcome="ok"')}[5m])) == 0`,
      for: '5m',
      severity: 'page',
      summary: `The truth-writer of ${where} commits nothing while likes wait`,
      description:
        '{{ $value }} likes are in Kafka but not in Postgres and no truth-writer flush succeeded for 10 ' +
        'minutes: the truth layer is falling behind (nothing is lost; counts are not durable in Postgres).',
    }),
    alert('repairsHigh', base, {
      expr:
        `sum by (${PIPELINE_BY}) (rate(${M.reconcileRepairs.name}${sel()}[15m]))\n/\n` +
        `sum by (${PIPELINE_BY}) (rate(${M.reconcileChecks.name}${sel()}[15m])) > ${THRESHOLDS.repairRatio}`,
      for: '15m',
      severity: 'ticket',
      summary: `The reconciler of ${where} repairs many Redis counts`,
      description:
        `{{ $value | humanizePercentage }} of the posts the reconciler checked had Redis counts that disagreed ` +
        `with Postgres (more than ${pct(THRESHOLDS.repairRatio)}): something writes Redis wrongly or Redis loses data.`,
    }),
    alert('produceErrors', base, {
      // A share, not any error: one failed batch in a busy hour must not page.
      expr:
        `sum by (${PIPELINE_BY}) (rate(${M.kafkaProduceDuration.name}_count${sel('outcome="error"')}[5m]))\n/\n` +
        `sum by (${PIPELINE_BY}) (rate(${M.kafkaProduceDuration.name}_count${sel()}[5m])) > ${THRESHOLDS.produceErrorRatio}`,
      for: '5m',
      severity: 'page',
      summary: `The like-API of ${where} fails to write likes to Kafka`,
      description:
        '{{ $value | humanizePercentage }} of producer batches failed over 5 minutes: their likes were answered ' +
        '503 and are not counted.',
    }),
    alert('redisCluster', base, {
      expr: `min by (${PIPELINE_BY}) (${M.redisKeeperClusterOk.name}${sel()}) == 0`,
      for: '5m',
      severity: 'page',
      summary: `The Redis Cluster of ${where} is not healthy`,
      description:
        'The Redis Cluster keeper has seen a node not in cluster_state:ok, or hash slots no master serves, for ' +
        '5 minutes, and could not heal it.',
    }),
    alert('roleDown', base, {
      // Only LikePipeline targets: every scrape of ours has a pipeline label.
      expr: `max by (${PIPELINE_BY}, ${role}) (up${scope ? sel() : `{${pipeline}!=""}`}) == 0`,
      for: '5m',
      severity: 'page',
      summary: `No {{ $labels.${role} }} of ${where} is up`,
      description: 'Prometheus has reached no instance of {{ $labels.role }} for 5 minutes.',
    }),
  ];
}

export function alertGroups(runbookBaseUrl = DEFAULT_RUNBOOK_BASE_URL, scope?: Scope): RuleGroup[] {
  const base = runbookBaseUrl.replace(/\/+$/, '');
  return [
    { name: 'likepipe-slo-alerts', rules: burnRateAlerts(base, scope) },
    { name: 'likepipe-cause-alerts', rules: causeAlerts(base, scope) },
  ];
}
