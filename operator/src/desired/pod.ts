import type {
  V1Container,
  V1ContainerPort,
  V1EnvVar,
  V1PodSecurityContext,
  V1PodSpec,
  V1ResourceRequirements,
  V1SecurityContext,
} from '@kubernetes/client-node';
import type { LikePipeline, SecretKeyRef } from '../api/types.js';
import type { Resources } from '../kube/objects.js';
import type { Connections } from './connections.js';
import { DATA_CLIENT_LABEL, METRICS_LABEL } from './meta.js';

export const env = (vars: Record<string, string | number>): V1EnvVar[] =>
  Object.entries(vars).map(([name, value]) => ({ name, value: String(value) }));
export const secretEnv = (name: string, ref: SecretKeyRef): V1EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

/** The UID the pipeline image runs as (see Dockerfile). Data-store images bring their own. */
export const PIPELINE_UID = 10001;

/**
 * Restricted-profile security contexts unless the spec sets its own. The spec's contexts apply to every pod,
 * so a cluster with its own rules (OpenShift's random UIDs, say) can override them in one place.
 */
export function podSecurityContext(lp: LikePipeline, uid: number): V1PodSecurityContext {
  return (
    // The spec's context is the user's core/v1 PodSecurityContext, passed through as written (the CRD preserves
    // its fields unchecked; the API server checks them in the pod template).
    (lp.spec.podSecurityContext as V1PodSecurityContext | undefined) ?? {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      fsGroup: uid,
      seccompProfile: { type: 'RuntimeDefault' },
    }
  );
}

export function containerSecurityContext(lp: LikePipeline, readOnlyRoot: boolean): V1SecurityContext {
  return (
    (lp.spec.securityContext as V1SecurityContext | undefined) ?? {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: readOnlyRoot,
      capabilities: { drop: ['ALL'] },
    }
  );
}

/**
 * A container's resources: the spec's, or `def`. Integer quantities (`cpu: 1`, which the CRD and the API server
 * accept) pass through unchanged; client-node's model types quantities as strings only, hence the assertion.
 */
export const resourcesOr = (r: Resources | undefined, def: V1ResourceRequirements): V1ResourceRequirements =>
  (r as V1ResourceRequirements | undefined) ?? def;

/** Env every pipeline role shares: where the three layers are. */
export function dataEnv(lp: LikePipeline, c: Connections): V1EnvVar[] {
  return [
    ...env({
      REDIS_CLUSTER_NODES: c.redisNodes.join(','),
      KAFKA_BROKERS: c.kafkaBrokers.join(','),
      LIKEPIPE_KAFKA_TOPIC: lp.spec.kafka.topic,
    }),
    secretEnv('DATABASE_URL', c.databaseUrl),
  ];
}

/**
 * OpenTelemetry settings for every container running the pipeline image: the standard OTEL_* variables, set
 * only when spec.monitoring.tracing.otlpEndpoint is (the image traces nothing without an endpoint). Sampling is
 * parent-based, so a consumer keeps exactly the likes the API kept. Each role names its own service
 * (likepipe-<role>); the namespace and pipeline tell two pipelines in one backend apart, and the pod name is
 * the host.name the SDK detects.
 */
export function tracingEnv(lp: LikePipeline): V1EnvVar[] {
  const t = lp.spec.monitoring.tracing;
  if (!t?.otlpEndpoint) return [];
  return env({
    OTEL_EXPORTER_OTLP_ENDPOINT: t.otlpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: t.protocol,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: t.samplerRatio,
    OTEL_RESOURCE_ATTRIBUTES: `k8s.namespace.name=${lp.metadata.namespace},likepipe.pipeline=${lp.metadata.name}`,
  });
}

export const METRICS_PORT = 9464;

/** A container running one role of the pipeline image. */
export function roleContainer(
  lp: LikePipeline,
  role: string,
  extraEnv: V1EnvVar[],
  c: Connections,
  opts: {
    image?: string;
    resources?: Resources;
    ports?: V1ContainerPort[];
    metricsPort?: boolean;
  } = {},
): V1Container {
  const metricsPort = opts.metricsPort ?? true;
  return {
    name: role,
    image: opts.image ?? lp.spec.image,
    imagePullPolicy: lp.spec.imagePullPolicy,
    args: [role],
    env: [
      ...dataEnv(lp, c),
      ...(metricsPort ? env({ LIKEPIPE_METRICS_PORT: METRICS_PORT, LIKEPIPE_METRICS_HOST: '0.0.0.0' }) : []),
      ...extraEnv,
      ...tracingEnv(lp),
    ],
    ports: opts.ports ?? [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
    resources: resourcesOr(opts.resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    }),
    securityContext: containerSecurityContext(lp, true),
  };
}

/** Init container that applies the Postgres migrations (node-pg-migrate takes a lock, so replicas may race). */
export function migrateInit(lp: LikePipeline, c: Connections): V1Container {
  return {
    name: 'migrate',
    image: lp.spec.image,
    imagePullPolicy: lp.spec.imagePullPolicy,
    args: ['migrate'],
    env: [secretEnv('DATABASE_URL', c.databaseUrl), ...tracingEnv(lp)],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    securityContext: containerSecurityContext(lp, true),
  };
}

/** Labels of pipeline pods: data clients pass the data stores' NetworkPolicies; metrics pods are scraped. */
export function pipelinePodLabels(metrics = true): Record<string, string> {
  return { [DATA_CLIENT_LABEL]: 'true', ...(metrics ? { [METRICS_LABEL]: 'true' } : {}) };
}

/** The pod-level fields every pod of the pipeline image shares; containers are the caller's. */
export type PodSpecBase = Pick<
  V1PodSpec,
  'imagePullSecrets' | 'securityContext' | 'automountServiceAccountToken' | 'enableServiceLinks'
>;

export function podSpecBase(lp: LikePipeline): PodSpecBase {
  return {
    ...(lp.spec.imagePullSecrets ? { imagePullSecrets: lp.spec.imagePullSecrets } : {}),
    securityContext: podSecurityContext(lp, PIPELINE_UID),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
  };
}

/** Pod-level fields every data-store pod (Redis, Kafka, Postgres) shares; `uid` is its image's user. */
export function dataStorePodSpec(lp: LikePipeline, uid: number): PodSpecBase {
  return {
    ...(lp.spec.imagePullSecrets ? { imagePullSecrets: lp.spec.imagePullSecrets } : {}),
    securityContext: podSecurityContext(lp, uid),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
  };
}
