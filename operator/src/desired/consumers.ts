import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { consumerGroup, PIPELINE_METRICS, type ConsumerRole } from '@likepipe/contract';
import type { ConsumersSpec, LagScaledConsumer, LikePipeline } from '../api/types.js';
import type { Deployment, HorizontalPodAutoscaler, KubeObject } from '../kube/objects.js';
import type { ScaledObject } from '../kube/third-party/keda.js';
import type { Connections } from './connections.js';
import { dataEnv, metricsEnv, roleEnv, secretEnv } from './env.js';
import { kafkaReplication } from './kafka-replication.js';
import { labels, names, objectMeta, selectorLabels, type DeployedWorker } from './meta.js';
import { METRICS_CONTAINER_PORT, migrateInit, pipelinePodLabels, podSpecBase, roleContainer } from './pod.js';

/**
 * The spec field (spec.consumers.<field>) of each of the contract's consumer roles; `satisfies` makes a role
 * added to or renamed in the contract a compile error until it is mapped here. Objects are built in this order.
 */
export const CONSUMER_FIELDS = {
  'truth-writer': 'truthWriter',
  notifier: 'notifier',
  'feed-ranker': 'feedRanker',
  analytics: 'analytics',
} as const satisfies Record<ConsumerRole, Exclude<keyof ConsumersSpec, 'reconciler'>>;

export const LAG_ROLES = (Object.keys(CONSUMER_FIELDS) as ConsumerRole[]).map((role) => ({
  role,
  field: CONSUMER_FIELDS[role],
}));

/** A consumer group cannot use more members than the topic has partitions: extra replicas would idle. */
export const cappedMax = (lp: LikePipeline, c: LagScaledConsumer) => Math.min(c.maxReplicas, lp.spec.kafka.partitions);
export const cappedMin = (lp: LikePipeline, c: LagScaledConsumer) => Math.min(c.minReplicas, cappedMax(lp, c));

export interface AutoscalerKinds {
  /** KEDA's ScaledObject CRD is installed. */
  keda: boolean;
}

/** Deployments and lag autoscalers of the enabled consumer roles, and the reconciler. */
export function consumerObjects(lp: LikePipeline, c: Connections, kinds: AutoscalerKinds): KubeObject[] {
  const out: KubeObject[] = [];
  const cs = lp.spec.consumers;
  for (const { role, field } of LAG_ROLES) {
    const spec = cs[field];
    if (!spec.enabled) continue;
    const init: V1Container[] = [];
    if (role === 'truth-writer') {
      // The truth-writer makes sure its inputs exist: the topic (unless Strimzi's Topic Operator owns it) and
      // the schema. The partition count is here, and only here, so growing it rolls just this Deployment.
      if (lp.spec.kafka.mode !== 'strimzi') init.push(ensureTopicInit(lp, c));
      init.push(migrateInit(lp, c));
    }
    // Every role but the truth-writer writes tables of its own: it must not wait for the truth-writer's pod to
    // have migrated them.
    if (role !== 'truth-writer') init.push(migrateInit(lp, c));
    const container = roleContainer(lp, role, consumerEnv(lp, role, c), {
      resources: spec.resources,
      ports: [METRICS_CONTAINER_PORT],
    });
    out.push(consumerDeployment(lp, role, container, init));
    out.push(kinds.keda ? scaledObject(lp, role, spec, c) : lagHpa(lp, role, spec));
  }
  if (cs.reconciler.enabled) {
    const r = cs.reconciler;
    const env = [
      ...dataEnv('reconciler', lp, c),
      ...metricsEnv('reconciler'),
      ...roleEnv('reconciler', { LIKEPIPE_RECONCILE_INTERVAL_MS: r.intervalSeconds * 1000 }),
    ];
    const container = roleContainer(lp, 'reconciler', env, { resources: r.resources, ports: [METRICS_CONTAINER_PORT] });
    out.push(consumerDeployment(lp, 'reconciler', container, [], r.replicas));
  }
  return out;
}

/** A consumer role's environment: the layers, its metrics listener, its flushes and what is its own. */
function consumerEnv(lp: LikePipeline, role: ConsumerRole, c: Connections): V1EnvVar[] {
  const cs = lp.spec.consumers;
  const spec = cs[CONSUMER_FIELDS[role]];
  const env = [
    ...dataEnv(role, lp, c),
    ...metricsEnv(role),
    ...roleEnv(role, { LIKEPIPE_FLUSH_INTERVAL_MS: spec.flushIntervalMs, LIKEPIPE_BATCH_SIZE: spec.batchSize }),
  ];
  if (role === 'notifier') {
    const n = cs.notifier;
    env.push(...roleEnv(role, { LIKEPIPE_NOTIFY_WINDOW_MS: n.windowSeconds * 1000 }));
    if (n.webhookSecretRef) env.push(secretEnv(role, 'LIKEPIPE_NOTIFY_WEBHOOK_URL', n.webhookSecretRef));
  }
  if (role === 'feed-ranker') {
    const f = cs.feedRanker;
    env.push(
      ...roleEnv(role, {
        LIKEPIPE_FEED_REFRESH_MS: f.refreshMs,
        LIKEPIPE_FEED_HOT_CANDIDATES: f.hotCandidates,
        LIKEPIPE_FEED_NEW_CANDIDATES: f.newCandidates,
      }),
    );
  }
  return env;
}

/** Creates the topic, or grows its partitions, before the truth-writer starts. It reads Kafka only. */
function ensureTopicInit(lp: LikePipeline, c: Connections): V1Container {
  const k = lp.spec.kafka;
  const replication = kafkaReplication(k);
  const env = roleEnv('ensure-topic', {
    KAFKA_BROKERS: c.kafkaBrokers.join(','),
    LIKEPIPE_KAFKA_TOPIC: k.topic,
    LIKEPIPE_KAFKA_PARTITIONS: k.partitions,
    LIKEPIPE_KAFKA_REPLICATION_FACTOR: replication.replicationFactor,
    LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS: replication.minInSyncReplicas,
  });
  return roleContainer(lp, 'ensure-topic', env, {
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  });
}

function consumerDeployment(
  lp: LikePipeline,
  role: DeployedWorker,
  container: V1Container,
  initContainers: V1Container[],
  replicas?: number,
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(lp, names(lp).role(role), role),
    spec: {
      // Lag-scaled roles leave `replicas` to their autoscaler.
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: selectorLabels(lp, role) },
      template: {
        metadata: { labels: { ...labels(lp, role), ...pipelinePodLabels() } },
        spec: {
          ...podSpecBase(lp),
          // A consumer finishes its flush and commits offsets before it exits.
          terminationGracePeriodSeconds: 60,
          ...(initContainers.length ? { initContainers } : {}),
          containers: [
            {
              ...container,
              readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 10 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 10, failureThreshold: 6 },
            },
          ],
        },
      },
    },
  };
}

/** KEDA's Kafka scaler reads the group's lag itself; KEDA owns the HPA it creates. */
function scaledObject(lp: LikePipeline, role: ConsumerRole, spec: LagScaledConsumer, c: Connections): ScaledObject {
  const name = names(lp).role(role);
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: objectMeta(lp, name, role),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicaCount: cappedMin(lp, spec),
      maxReplicaCount: cappedMax(lp, spec),
      pollingInterval: 15,
      cooldownPeriod: 300,
      triggers: [
        {
          type: 'kafka',
          metadata: {
            bootstrapServers: c.kafkaBrokers.join(','),
            consumerGroup: consumerGroup(role),
            topic: lp.spec.kafka.topic,
            lagThreshold: String(spec.lagTarget),
            // Never more replicas than partitions with lag, whatever the lag per partition.
            allowIdleConsumers: 'false',
          },
        },
      ],
    },
  };
}

/**
 * Without KEDA: an HPA on the external metric `likepipe_kafka_consumer_lag{group,topic}` (the contract's
 * consumerLagGauge), which every consumer role exports on /metrics and a metrics adapter (prometheus-adapter)
 * must serve to the HPA. Until one does, the HPA reports the missing metric in its conditions.
 */
const LAG_METRIC = PIPELINE_METRICS.consumerLagGauge;

function lagHpa(lp: LikePipeline, role: ConsumerRole, spec: LagScaledConsumer): HorizontalPodAutoscaler {
  const name = names(lp).role(role);
  // Keyed by the metric's label names in the contract: renaming one there is a compile error here.
  const lagLabels: Record<(typeof LAG_METRIC.labelNames)[number], string> = {
    group: consumerGroup(role),
    topic: lp.spec.kafka.topic,
  };
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: objectMeta(lp, name, role),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: Math.max(1, cappedMin(lp, spec)),
      maxReplicas: cappedMax(lp, spec),
      metrics: [
        {
          type: 'External',
          external: {
            metric: {
              name: LAG_METRIC.name,
              selector: { matchLabels: lagLabels },
            },
            target: { type: 'AverageValue', averageValue: String(spec.lagTarget) },
          },
        },
      ],
    },
  };
}
