/**
 * LikePipeline, likepipe.io/v1alpha1: the shape of the custom resource as the operator reads it.
 * The API server fills every default (see crd-schema.ts), so fields with a default are never undefined here.
 */
export const GROUP = 'likepipe.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'LikePipeline';
export const PLURAL = 'likepipelines';

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface ResourceRequirements {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export interface Storage {
  size: string;
  storageClassName?: string;
}

export interface RedisSpec {
  mode: 'builtin' | 'external';
  shards: number;
  replicasPerShard: number;
  maxmemory: string;
  evictionPolicy: string;
  image: string;
  storage: Storage;
  resources?: ResourceRequirements;
  external?: { nodes: string[] };
}

export interface KafkaSpec {
  mode: 'builtin' | 'strimzi' | 'external';
  brokers: number;
  partitions: number;
  replicationFactor: number;
  minInSyncReplicas: number;
  topic: string;
  image: string;
  storage: Storage;
  resources?: ResourceRequirements;
  external?: { bootstrapServers: string[] };
  strimzi?: { version?: string };
}

export interface PostgresSpec {
  mode: 'builtin' | 'cnpg' | 'external';
  instances: number;
  database: string;
  image: string;
  storage: Storage;
  resources?: ResourceRequirements;
  external?: { urlSecretRef: SecretKeyRef };
}

export interface ApiSpec {
  image?: string;
  minReplicas: number;
  maxReplicas: number;
  targetCPUUtilization: number;
  rateLimit: { perUser: number; windowSeconds: number };
  idempotencyTTLSeconds: number;
  jwtSecretRef: SecretKeyRef;
  service: { type: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; port: number };
  resources?: ResourceRequirements;
}

export interface LagScaledConsumer {
  enabled: boolean;
  minReplicas: number;
  maxReplicas: number;
  /** Consumer lag per replica that the autoscaler aims for. */
  lagTarget: number;
  /** One Postgres transaction per flush: after this long, or sooner at `batchSize` events. */
  flushIntervalMs: number;
  batchSize: number;
  resources?: ResourceRequirements;
}

export type TruthWriterSpec = LagScaledConsumer;

export interface ReconcilerSpec {
  enabled: boolean;
  replicas: number;
  intervalSeconds: number;
  resources?: ResourceRequirements;
}

export interface ConsumersSpec {
  truthWriter: TruthWriterSpec;
  notifier: LagScaledConsumer & { windowSeconds: number; webhookSecretRef?: SecretKeyRef };
  feedRanker: LagScaledConsumer & { refreshMs: number; hotCandidates: number; newCandidates: number };
  analytics: LagScaledConsumer;
  reconciler: ReconcilerSpec;
}

export interface TracingSpec {
  otlpEndpoint?: string;
  protocol: 'http/protobuf' | 'http/json' | 'grpc';
  samplerRatio: number;
}

export interface LikePipelineSpec {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets?: { name: string }[];
  redis: RedisSpec;
  kafka: KafkaSpec;
  postgres: PostgresSpec;
  api: ApiSpec;
  consumers: ConsumersSpec;
  podSecurityContext?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
  monitoring: {
    serviceMonitor: { enabled: boolean; interval: string; labels?: Record<string, string> };
    tracing: TracingSpec;
  };
  networkPolicies: { enabled: boolean };
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export type Phase = 'Provisioning' | 'Ready' | 'Degraded' | 'Failed';

export interface LikePipelineStatus {
  observedGeneration?: number;
  phase?: Phase;
  conditions?: Condition[];
  apiEndpoint?: string;
  apiReplicas?: number;
  partitions?: number;
}

export interface LikePipeline {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    // Typed as client-node types it; from a watch it is really a string. Only its presence is ever read.
    deletionTimestamp?: Date;
    finalizers?: string[];
  };
  spec: LikePipelineSpec;
  status?: LikePipelineStatus;
}

/** The component conditions, each rolled up into Ready. */
export const COMPONENT_CONDITIONS = [
  'RedisReady',
  'KafkaReady',
  'PostgresReady',
  'ApiReady',
  'ConsumersReady',
] as const;
export type ComponentCondition = (typeof COMPONENT_CONDITIONS)[number];
