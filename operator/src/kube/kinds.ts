import type { KubeObject } from './objects.js';

/** The kinds the operator owns, with what it needs to list and watch them. */
export interface KindInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  /** Name of the CRD that must be installed before this kind can be watched; absent for built-in kinds. */
  crd?: string;
}

/** A kind of KubeObject, with the apiVersion and kind its objects carry. */
type OwnedKind = { [O in KubeObject as O['kind']]: KindInfo & Pick<O, 'apiVersion' | 'kind'> }[KubeObject['kind']];

export const BUILTIN_OWNED = [
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
] as const satisfies readonly OwnedKind[];

export const OPTIONAL_OWNED = [
  { apiVersion: 'kafka.strimzi.io/v1', kind: 'Kafka', plural: 'kafkas', crd: 'kafkas.kafka.strimzi.io' },
  {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaNodePool',
    plural: 'kafkanodepools',
    crd: 'kafkanodepools.kafka.strimzi.io',
  },
  { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', plural: 'kafkatopics', crd: 'kafkatopics.kafka.strimzi.io' },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', plural: 'clusters', crd: 'clusters.postgresql.cnpg.io' },
  { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', plural: 'scaledobjects', crd: 'scaledobjects.keda.sh' },
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    plural: 'servicemonitors',
    crd: 'servicemonitors.monitoring.coreos.com',
  },
  {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    plural: 'prometheusrules',
    crd: 'prometheusrules.monitoring.coreos.com',
  },
] as const satisfies readonly (OwnedKind & { crd: string })[];

/**
 * Every kind desiredState builds is watched, and so pruned when no longer wanted: a kind added to KubeObject
 * and not listed above fails to compile here.
 */
type Unlisted = Exclude<KubeObject['kind'], (typeof BUILTIN_OWNED | typeof OPTIONAL_OWNED)[number]['kind']>;
export const EVERY_OWNED_KIND_IS_WATCHED: [Unlisted] extends [never] ? true : Unlisted = true;

/** REST path of a kind's collection, across namespaces or in one. */
export function collectionPath(k: Pick<KindInfo, 'apiVersion' | 'plural'>, namespace?: string): string {
  const base = k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${k.plural}` : `${base}/${k.plural}`;
}
