import type {
  V1Container,
  V1ContainerPort,
  V1EnvVar,
  V1PodSecurityContext,
  V1PodSpec,
  V1ResourceRequirements,
  V1SecurityContext,
} from '@kubernetes/client-node';
import { POD_METRICS_PORT, type Role } from '@likepipe/contract';
import type { LikePipeline } from '../api/types.js';
import type { Resources } from '../kube/objects.js';
import type { Connections } from './connections.js';
import { secretEnv, tracingEnv } from './env.js';
import { DATA_CLIENT_LABEL, METRICS_LABEL } from './meta.js';

/** The UID the pipeline image runs as (see Dockerfile). The data stores run as theirs: images.ts. */
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

/** The pod's `metrics` port: every worker role's /metrics, /healthz and /readyz (probes and scrapes use it). */
export const METRICS_CONTAINER_PORT: V1ContainerPort = {
  name: 'metrics',
  containerPort: POD_METRICS_PORT,
  protocol: 'TCP',
};

/**
 * A container running one role of the pipeline image. `env` is the role's own (built with roleEnv, secretEnv,
 * dataEnv and metricsEnv from ./env.ts, keyed by the contract); the OpenTelemetry variables are added here.
 */
export function roleContainer(
  lp: LikePipeline,
  role: Role,
  env: V1EnvVar[],
  opts: { image?: string; resources?: Resources; ports?: V1ContainerPort[] } = {},
): V1Container {
  return {
    name: role,
    image: opts.image ?? lp.spec.image,
    imagePullPolicy: lp.spec.imagePullPolicy,
    args: [role],
    env: [...env, ...tracingEnv(lp)],
    ...(opts.ports ? { ports: opts.ports } : {}),
    resources: resourcesOr(opts.resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    }),
    securityContext: containerSecurityContext(lp, true),
  };
}

/** Init container that applies the Postgres migrations (node-pg-migrate takes a lock, so replicas may race). */
export const migrateInit = (lp: LikePipeline, c: Connections): V1Container =>
  roleContainer(lp, 'migrate', [secretEnv('migrate', 'DATABASE_URL', c.databaseUrl)], {
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  });

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
