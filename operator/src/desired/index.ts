import type { ComponentCondition, ConditionType, LikePipeline, SecretKeyRef } from '../api/types.js';
import type { KubeObject } from '../kube/objects.js';
import { Reason, type ConditionReason } from '../status/reasons.js';
import { apiObjects } from './api.js';
import { connections } from './connections.js';
import { consumerObjects } from './consumers.js';
import { builtinKafka, strimziKafka } from './kafka.js';
import { monitoringObjects } from './monitoring.js';
import { networkPolicies } from './network.js';
import { builtinPostgres, cnpgCluster } from './postgres.js';
import { builtinRedis } from './redis.js';

export type { KubeObject } from '../kube/objects.js';

/** What the controller saw in the cluster that the desired state depends on. */
export interface Observed {
  /** Which optional CRDs are installed. */
  crds: { strimzi: boolean; cnpg: boolean; keda: boolean; serviceMonitor: boolean; prometheusRule: boolean };
  /** The builtin Postgres password: read from its Secret, or freshly generated when there is none yet. */
  postgresPassword: string;
  /** Keys of each Secret the spec references, by name; null when the Secret does not exist. */
  secrets: Record<string, string[] | null>;
}

/** Something the user must fix; it becomes a False condition with this reason and message. */
export interface Problem {
  condition: ConditionType;
  reason: ConditionReason;
  message: string;
}

export interface Desired {
  objects: KubeObject[];
  problems: Problem[];
}

export interface SecretReference {
  ref: SecretKeyRef;
  field: string;
  condition: ComponentCondition;
}

/** The user's Secrets a pipeline needs; the controller reads them and passes what it found as `secrets`. */
export function referencedSecrets(lp: LikePipeline): SecretReference[] {
  const refs: SecretReference[] = [
    { ref: lp.spec.api.jwtSecretRef, field: 'spec.api.jwtSecretRef', condition: 'ApiReady' },
  ];
  const hook = lp.spec.consumers.notifier.webhookSecretRef;
  if (lp.spec.consumers.notifier.enabled && hook) {
    refs.push({ ref: hook, field: 'spec.consumers.notifier.webhookSecretRef', condition: 'ConsumersReady' });
  }
  if (lp.spec.postgres.mode === 'external' && lp.spec.postgres.external) {
    refs.push({
      ref: lp.spec.postgres.external.urlSecretRef,
      field: 'spec.postgres.external.urlSecretRef',
      condition: 'PostgresReady',
    });
  }
  return refs;
}

/**
 * The reconcile's pure core: from a LikePipeline and what was observed, every object that should exist and
 * every problem to report. Same input, same output, byte for byte: re-applying it changes nothing.
 */
export function desiredState(lp: LikePipeline, observed: Observed): Desired {
  const problems: Problem[] = [];
  const ns = lp.metadata.namespace;
  for (const { ref, field, condition } of referencedSecrets(lp)) {
    const keys = observed.secrets[ref.name];
    if (keys === null || keys === undefined) {
      problems.push({
        condition,
        reason: Reason.SecretNotFound,
        message: `${field}: Secret ${ns}/${ref.name} does not exist; create it with a "${ref.key}" key`,
      });
    } else if (!keys.includes(ref.key)) {
      problems.push({
        condition,
        reason: Reason.SecretKeyNotFound,
        message: `${field}: Secret ${ns}/${ref.name} has no key "${ref.key}" (it has: ${keys.join(', ') || 'none'})`,
      });
    }
  }

  const c = connections(lp);
  const objects: KubeObject[] = [];
  const { redis, kafka, postgres } = lp.spec;

  if (redis.mode === 'builtin') objects.push(...builtinRedis(lp));

  if (kafka.mode === 'builtin') objects.push(...builtinKafka(lp));
  else if (kafka.mode === 'strimzi') {
    if (observed.crds.strimzi) objects.push(...strimziKafka(lp));
    else
      problems.push({
        condition: 'KafkaReady',
        reason: Reason.StrimziNotInstalled,
        message:
          'spec.kafka.mode is strimzi but the kafka.strimzi.io/v1 Kafka, KafkaNodePool and KafkaTopic CRDs are ' +
          'not installed: install the Strimzi operator or choose mode builtin or external',
      });
  }

  if (postgres.mode === 'builtin') objects.push(...builtinPostgres(lp, observed.postgresPassword));
  else if (postgres.mode === 'cnpg') {
    if (observed.crds.cnpg) objects.push(...cnpgCluster(lp));
    else
      problems.push({
        condition: 'PostgresReady',
        reason: Reason.CloudNativePGNotInstalled,
        message:
          'spec.postgres.mode is cnpg but the postgresql.cnpg.io/v1 Cluster CRD is not installed: install ' +
          'CloudNativePG or choose mode builtin or external',
      });
  }

  objects.push(...apiObjects(lp, c));
  objects.push(...consumerObjects(lp, c, { keda: observed.crds.keda }));
  objects.push(...networkPolicies(lp));
  objects.push(...monitoringObjects(lp, observed.crds));
  if (lp.spec.monitoring.serviceMonitor.enabled && !observed.crds.serviceMonitor) {
    problems.push({
      condition: 'Ready',
      reason: Reason.ServiceMonitorCRDMissing,
      message:
        'spec.monitoring.serviceMonitor.enabled is true but the monitoring.coreos.com/v1 ServiceMonitor CRD is ' +
        'not installed: install the Prometheus Operator or disable the ServiceMonitor',
    });
  }
  if (lp.spec.monitoring.prometheusRule.enabled && !observed.crds.prometheusRule) {
    problems.push({
      condition: 'Ready',
      reason: Reason.PrometheusRuleCRDMissing,
      message:
        'spec.monitoring.prometheusRule.enabled is true but the monitoring.coreos.com/v1 PrometheusRule CRD is ' +
        'not installed: install the Prometheus Operator, or disable the PrometheusRule and load ' +
        'monitoring/prometheus/likepipe.rules.yaml into your Prometheus',
    });
  }
  return { objects, problems };
}
