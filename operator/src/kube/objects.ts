import type {
  V1ConfigMap,
  V1Deployment,
  V1NetworkPolicy,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicySpec,
  V1ObjectMeta,
  V1OwnerReference,
  V1PodDisruptionBudget,
  V1Secret,
  V1Service,
  V1StatefulSet,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { Cluster } from './third-party/cnpg.js';
import type { ScaledObject } from './third-party/keda.js';
import type { PrometheusRule, ServiceMonitor } from './third-party/prometheus.js';
import type { Kafka, KafkaNodePool, KafkaTopic } from './third-party/strimzi.js';

/**
 * The objects the operator applies, typed. Built-in kinds use client-node's models (V1Deployment, …): they are
 * classes with optional fields, so object literals typed with them get TypeScript's excess-property check, and
 * a misspelt field (`readinessProb:`) fails `tsc -b` instead of reaching the API server. The objects stay
 * plain JSON: no model instance is ever constructed, and Applier.apply sends them as they are built (not
 * through client-node's model serializer, which knows some fields by other names: see NetworkPolicy).
 * Third-party kinds (Strimzi, CloudNativePG, KEDA, the Prometheus Operator) have small hand-written
 * interfaces of the fields the operator sets, one file per API group in ./third-party/.
 */

/** Metadata of an object the operator owns: named, in the pipeline's namespace, labelled, owned by it. */
export type OwnedMeta = V1ObjectMeta & {
  name: string;
  namespace: string;
  labels: { [key: string]: string };
  ownerReferences: V1OwnerReference[];
};

/**
 * core/v1 ResourceRequirements as the API server takes them, and as Strimzi and CloudNativePG pass them on:
 * quantities are strings or integers (`cpu: 1`). client-node's V1ResourceRequirements types them as strings.
 */
export interface Resources {
  requests?: { [resource: string]: string | number };
  limits?: { [resource: string]: string | number };
}

/**
 * A client-node model with its envelope pinned: apiVersion and kind as literals (so KubeObject is a union
 * discriminated by kind) and owned metadata. `status` is the API server's to write, never ours.
 */
export type Owned<T, ApiVersion extends string, Kind extends string> = Omit<
  T,
  'apiVersion' | 'kind' | 'metadata' | 'status'
> & { apiVersion: ApiVersion; kind: Kind; metadata: OwnedMeta };

export type Deployment = Owned<V1Deployment, 'apps/v1', 'Deployment'>;
export type StatefulSet = Owned<V1StatefulSet, 'apps/v1', 'StatefulSet'>;
export type Service = Owned<V1Service, 'v1', 'Service'>;
export type ConfigMap = Owned<V1ConfigMap, 'v1', 'ConfigMap'>;
export type Secret = Owned<V1Secret, 'v1', 'Secret'>;
export type HorizontalPodAutoscaler = Owned<V2HorizontalPodAutoscaler, 'autoscaling/v2', 'HorizontalPodAutoscaler'>;
export type PodDisruptionBudget = Owned<V1PodDisruptionBudget, 'policy/v1', 'PodDisruptionBudget'>;

/**
 * client-node's V1NetworkPolicyIngressRule calls `from` `_from` (its generator avoids the reserved word) and
 * only its serializer renames it, so that model does not describe the JSON: an ingress rule as the API takes it.
 */
export type NetworkPolicyIngressRule = Omit<V1NetworkPolicyIngressRule, '_from'> & { from?: V1NetworkPolicyPeer[] };
export type NetworkPolicy = Owned<
  Omit<V1NetworkPolicy, 'spec'> & {
    spec?: Omit<V1NetworkPolicySpec, 'ingress'> & { ingress?: NetworkPolicyIngressRule[] };
  },
  'networking.k8s.io/v1',
  'NetworkPolicy'
>;

/** Every kind of object a LikePipeline owns (kube/kinds.ts lists how to watch each). */
export type KubeObject =
  | Deployment
  | StatefulSet
  | Service
  | ConfigMap
  | Secret
  | HorizontalPodAutoscaler
  | PodDisruptionBudget
  | NetworkPolicy
  | Kafka
  | KafkaNodePool
  | KafkaTopic
  | Cluster
  | ScaledObject
  | ServiceMonitor
  | PrometheusRule;
