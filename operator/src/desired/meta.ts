import type { V1OwnerReference } from '@kubernetes/client-node';
import type { ConsumerRole } from '@likepipe/contract';
import { API_VERSION, KIND, type LikePipeline } from '../api/types.js';
import type { OwnedMeta } from '../kube/objects.js';

export const FIELD_MANAGER = 'likepipe-operator';
export const MANAGED_BY = 'likepipe-operator';
/** Every object the operator owns carries this label, so informers and pruning select exactly ours. */
export const PIPELINE_LABEL = 'likepipe.io/pipeline';
/** Pods allowed through the data stores' NetworkPolicies. */
export const DATA_CLIENT_LABEL = 'likepipe.io/data-client';
export const METRICS_LABEL = 'likepipe.io/metrics';
/** Services a ServiceMonitor scrapes. */
export const METRICS_SERVICE_LABEL = 'likepipe.io/metrics-service';

/** The worker roles that run as Deployments of their own, named `<pipeline>-<role>`. */
export type DeployedWorker = ConsumerRole | 'reconciler';

/** The value of `app.kubernetes.io/component`; the consumers and the reconciler use their role's name. */
export type Component =
  'redis' | 'redis-keeper' | 'kafka' | 'postgres' | 'api' | DeployedWorker | 'metrics' | 'network';

/** Names of the objects of one pipeline. Kept in one place: tests, the status and the README rely on them. */
export const names = (lp: LikePipeline) => {
  const n = lp.metadata.name;
  return {
    redis: `${n}-redis`,
    redisKeeper: `${n}-redis-keeper`,
    redisConfig: `${n}-redis-config`,
    kafka: `${n}-kafka`,
    kafkaConfig: `${n}-kafka-config`,
    postgres: `${n}-postgres`,
    postgresSecret: `${n}-postgres`,
    postgresConfig: `${n}-postgres-config`,
    api: `${n}-api`,
    role: (role: DeployedWorker) => `${n}-${role}`,
    metrics: `${n}-metrics`,
    strimziKafka: n,
    strimziPool: `${n}-dual`,
    strimziTopic: `${n}-${lp.spec.kafka.topic}`
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .slice(0, 253),
    strimziBootstrap: `${n}-kafka-bootstrap`,
    cnpgCluster: `${n}-pg`,
    cnpgAppSecret: `${n}-pg-app`,
  };
};

export function selectorLabels(lp: LikePipeline, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'likepipeline',
    'app.kubernetes.io/instance': lp.metadata.name,
    'app.kubernetes.io/component': component,
  };
}

export function labels(lp: LikePipeline, component: Component): Record<string, string> {
  return {
    ...selectorLabels(lp, component),
    'app.kubernetes.io/part-of': 'likepipeline',
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [PIPELINE_LABEL]: lp.metadata.name,
  };
}

export function ownerReference(lp: LikePipeline): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: lp.metadata.name,
    uid: lp.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata of an owned object: namespace, labels, and the ownerReference that garbage collection follows. */
export function objectMeta(
  lp: LikePipeline,
  name: string,
  component: Component,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): OwnedMeta {
  return {
    name,
    namespace: lp.metadata.namespace,
    labels: { ...labels(lp, component), ...extra.labels },
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
    ownerReferences: [ownerReference(lp)],
  };
}

/** Stable identity of an object, for maps and pruning. */
export const objectKey = (o: {
  apiVersion?: string;
  kind?: string;
  metadata?: { namespace?: string; name?: string };
}) => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
