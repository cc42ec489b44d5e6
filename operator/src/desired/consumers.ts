import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import type { LagScaledConsumer, LikePipeline } from '../api/types.js';
import type { Deployment, HorizontalPodAutoscaler, KubeObject } from '../kube/objects.js';
import type { ScaledObject } from '../kube/third-party/keda.js';
import type { Connections } from './connections.js';
import { labels, names, objectMeta, selectorLabels, type Component } from './meta.js';
import { env, migrateInit, pipelinePodLabels, podSpecBase, roleContainer, secretEnv } from './pod.js';

export type LagRole = 'truth-writer' | 'notifier' | 'feed-ranker' | 'analytics';
export const LAG_ROLES: { role: LagRole; field: 'truthWriter' | 'notifier' | 'feedRanker' | 'analytics' }[] = [
  { role: 'truth-writer', field: 'truthWriter' },
  { role: 'notifier', field: 'notifier' },
  { role: 'feed-ranker', field: 'feedRanker' },
  { role: 'analytics', field: 'analytics' },
];

/** The Kafka consumer group of a role; the roles use `likepipe-<role>`. */
export const consumerGroup = (role: LagRole) => `likepipe-${role}`;

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
    const extraEnv: V1EnvVar[] = env({
      LIKEPIPE_FLUSH_INTERVAL_MS: spec.flushIntervalMs,
      LIKEPIPE_BATCH_SIZE: spec.batchSize,
    });
    const init: V1Container[] = [];
    if (role === 'truth-writer') {
      // The truth-writer makes sure its inputs exist: the topic (unless Strimzi's Topic Operator owns it) and
      // the schema. The partition count is here, and only here, so growing it rolls just this Deployment.
      if (lp.spec.kafka.mode !== 'strimzi') init.push(ensureTopicInit(lp, c));
      init.push(migrateInit(lp, c));
    }
    if (role === 'notifier') {
      const n = cs.notifier;
      extraEnv.push(...env({ LIKEPIPE_NOTIFY_WINDOW_MS: n.windowSeconds * 1000 }));
      if (n.webhookSecretRef) extraEnv.push(secretEnv('LIKEPIPE_NOTIFY_WEBHOOK_URL', n.webhookSecretRef));
    }
    if (role === 'feed-ranker') {
      const f = cs.feedRanker;
      extraEnv.push(
        ...env({
          LIKEPIPE_FEED_REFRESH_MS: f.refreshMs,
          LIKEPIPE_FEED_HOT_CANDIDATES: f.hotCandidates,
          LIKEPIPE_FEED_NEW_CANDIDATES: f.newCandidates,
        }),
      );
    }
    // Every role but the truth-writer writes tables of its own: it must not wait for the truth-writer's pod to
    // have migrated them.
    if (role !== 'truth-writer') init.push(migrateInit(lp, c));
    out.push(consumerDeployment(lp, role, roleContainer(lp, role, extraEnv, c, { resources: spec.resources }), init));
    out.push(kinds.keda ? scaledObject(lp, role, spec, c) : lagHpa(lp, role, spec));
  }
  if (cs.reconciler.enabled) {
    const r = cs.reconciler;
    const container = roleContainer(
      lp,
      'reconciler',
      env({ LIKEPIPE_RECONCILE_INTERVAL_MS: r.intervalSeconds * 1000 }),
      c,
      { resources: r.resources },
    );
    out.push(consumerDeployment(lp, 'reconciler', container, [], r.replicas));
  }
  return out;
}

function ensureTopicInit(lp: LikePipeline, c: Connections): V1Container {
  const k = lp.spec.kafka;
  const container = roleContainer(
    lp,
    'ensure-topic',
    env({
      LIKEPIPE_KAFKA_PARTITIONS: k.partitions,
      LIKEPIPE_KAFKA_REPLICATION_FACTOR: k.replicationFactor,
      LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS: k.minInSyncReplicas,
    }),
    c,
    { resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } }, metricsPort: false },
  );
  delete container.ports;
  // ensure-topic reads Kafka only (its schema in the contract has no REDIS_CLUSTER_NODES or DATABASE_URL).
  container.env = container.env!.filter((e) => e.name !== 'REDIS_CLUSTER_NODES' && e.name !== 'DATABASE_URL');
  return container;
}

function consumerDeployment(
  lp: LikePipeline,
  role: Component,
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
function scaledObject(lp: LikePipeline, role: LagRole, spec: LagScaledConsumer, c: Connections): ScaledObject {
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
 * Without KEDA: an HPA on the external metric `likepipe_kafka_consumer_lag{group,topic}`, which every consumer
 * role exports on /metrics and a metrics adapter (prometheus-adapter) must serve to the HPA. Until one does,
 * the HPA reports the missing metric in its conditions.
 */
function lagHpa(lp: LikePipeline, role: LagRole, spec: LagScaledConsumer): HorizontalPodAutoscaler {
  const name = names(lp).role(role);
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
              name: 'likepipe_kafka_consumer_lag',
              selector: { matchLabels: { group: consumerGroup(role), topic: lp.spec.kafka.topic } },
            },
            target: { type: 'AverageValue', averageValue: String(spec.lagTarget) },
          },
        },
      ],
    },
  };
}
