import type { V1EnvVar } from '@kubernetes/client-node';
import { POD_METRICS_PORT, type Role, type RoleEnvName, type WorkerRole } from '@likepipe/contract';
import type { LikePipeline, SecretKeyRef } from '../api/types.js';
import type { Connections } from './connections.js';

/**
 * Environments of the containers, keyed by the contract (packages/contract/src/role-env.ts): the pipeline
 * image's variables go through roleEnv and secretEnv, whose names are the role's schema's keys, so a variable
 * the role does not read, or one renamed in the contract, is a compile error here. With a union of roles, only
 * the names every one of them reads are accepted.
 */
export type EnvValue = string | number | boolean;

/** Variables of `role`, as values. */
export function roleEnv<R extends Role>(_role: R, vars: Partial<Record<RoleEnvName<R>, EnvValue>>): V1EnvVar[] {
  const out: V1EnvVar[] = [];
  for (const [name, value] of Object.entries<EnvValue | undefined>(vars)) {
    if (value !== undefined) out.push({ name, value: String(value) });
  }
  return out;
}

/** A variable of `role` read from a key of a Secret, so the value never appears in the pod spec. */
export function secretEnv<R extends Role>(_role: R, name: RoleEnvName<R>, ref: SecretKeyRef): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/** Roles that read all three layers (the data variables below). */
export type DataRole = 'like-api' | 'truth-writer' | 'analytics' | 'notifier' | 'feed-ranker' | 'reconciler';

/** Where the three layers are, for a role that uses all of them. */
export function dataEnv(role: DataRole, lp: LikePipeline, c: Connections): V1EnvVar[] {
  return [
    ...roleEnv(role, {
      REDIS_CLUSTER_NODES: c.redisNodes.join(','),
      KAFKA_BROKERS: c.kafkaBrokers.join(','),
      LIKEPIPE_KAFKA_TOPIC: lp.spec.kafka.topic,
    }),
    secretEnv(role, 'DATABASE_URL', c.databaseUrl),
  ];
}

/** A worker role's /metrics, /healthz and /readyz: on the pod's `metrics` port, reachable from outside the pod. */
export const metricsEnv = (role: WorkerRole): V1EnvVar[] =>
  roleEnv(role, { LIKEPIPE_METRICS_PORT: POD_METRICS_PORT, LIKEPIPE_METRICS_HOST: '0.0.0.0' });

/** The OpenTelemetry SDK's standard variables (not the contract's: the SDK reads them, every role alike). */
type OtelVariable =
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_PROTOCOL'
  | 'OTEL_TRACES_SAMPLER'
  | 'OTEL_TRACES_SAMPLER_ARG'
  | 'OTEL_RESOURCE_ATTRIBUTES';

/**
 * OpenTelemetry settings for every container running the pipeline image: the standard OTEL_* variables, set
 * only when spec.monitoring.tracing.otlpEndpoint is (the image traces nothing without an endpoint). Sampling is
 * parent-based, so a consumer keeps exactly the likes the API kept. Each role names its own service
 * (likepipe-<role>); the namespace and pipeline tell two pipelines in one backend apart, and the pod name is
 * the host.name the SDK detects.
 */
export function tracingEnv(lp: LikePipeline): V1EnvVar[] {
  const t = lp.spec.monitoring.tracing;
  if (!t.otlpEndpoint) return [];
  const vars: Record<OtelVariable, EnvValue> = {
    OTEL_EXPORTER_OTLP_ENDPOINT: t.otlpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: t.protocol,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: t.samplerRatio,
    OTEL_RESOURCE_ATTRIBUTES: `k8s.namespace.name=${lp.metadata.namespace},likepipe.pipeline=${lp.metadata.name}`,
  };
  return imageEnv(vars);
}

/** Variables read by something other than the pipeline's roles (the OpenTelemetry SDK's OTEL_*): names nothing checks. */
export const imageEnv = (vars: Record<string, EnvValue>): V1EnvVar[] =>
  Object.entries(vars).map(([name, value]) => ({ name, value: String(value) }));
