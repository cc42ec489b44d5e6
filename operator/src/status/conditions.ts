import {
  COMPONENT_CONDITIONS,
  type ComponentCondition,
  type Condition,
  type ConditionType,
  type LikePipeline,
  type LikePipelineStatus,
  type Phase,
} from '../api/types.js';
import { apiEndpoint } from '../desired/api.js';
import { LAG_ROLES } from '../desired/consumers.js';
import { redisNodeCount } from '../desired/connections.js';
import { names } from '../desired/meta.js';
import type { Problem } from '../desired/index.js';
import type { KubeObject } from '../kube/objects.js';
import { Reason, type ConditionReason } from './reasons.js';

/**
 * What the status reads of an owned object: generations, ready counts, and conditions (a Deployment's
 * Available; the Ready that Strimzi and CloudNativePG report). V1Deployment and V1StatefulSet fit it as they
 * are; the informers' objects of other kinds are read through it.
 */
export interface ObservedObject {
  metadata?: { generation?: number };
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; message?: string }[];
  };
}

/** A read-only view of the owned objects the informers hold, by kind and name. */
export type Lookup = (kind: KubeObject['kind'], name: string) => ObservedObject | undefined;

interface Verdict {
  ok: boolean;
  reason: ConditionReason;
  message: string;
}

const ok = (reason: ConditionReason, message: string): Verdict => ({ ok: true, reason, message });
const waiting = (reason: ConditionReason, message: string): Verdict => ({ ok: false, reason, message });

function statefulSet(get: Lookup, name: string, want: number): Verdict {
  const sts = get('StatefulSet', name);
  if (!sts) return waiting(Reason.Creating, `StatefulSet ${name} does not exist yet`);
  const ready = sts.status?.readyReplicas ?? 0;
  const current = (sts.status?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0);
  if (ready >= want && current) return ok(Reason.Running, `StatefulSet ${name}: ${ready}/${want} pods ready`);
  return waiting(Reason.PodsNotReady, `StatefulSet ${name}: ${ready}/${want} pods ready`);
}

function deployment(get: Lookup, name: string): Verdict {
  const d = get('Deployment', name);
  if (!d) return waiting(Reason.Creating, `Deployment ${name} does not exist yet`);
  const available = d.status?.conditions?.find((c) => c.type === 'Available');
  const current = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  const ready = d.status?.availableReplicas ?? 0;
  if (available?.status === 'True' && current && ready > 0) {
    return ok(Reason.Available, `Deployment ${name}: ${ready} available`);
  }
  return waiting(
    Reason.PodsNotReady,
    `Deployment ${name}: ${ready} available${available?.message ? `, ${available.message}` : ''}`,
  );
}

/** A Strimzi or CloudNativePG resource that reports readiness in its own status. */
function readyCondition(get: Lookup, kind: 'Kafka' | 'KafkaTopic' | 'Cluster', name: string): Verdict {
  const o = get(kind, name);
  if (!o) return waiting(Reason.Creating, `${kind} ${name} does not exist yet`);
  const c = o.status?.conditions?.find((x) => x.type === 'Ready');
  if (c?.status === 'True') return ok(Reason.Ready, `${kind} ${name} is ready`);
  return waiting(Reason.NotReady, `${kind} ${name}: ${c?.message ?? 'waiting for its operator to report Ready'}`);
}

const all = (verdicts: Verdict[], whenOk: string): Verdict => {
  const bad = verdicts.filter((v) => !v.ok);
  if (bad.length === 0)
    return ok(verdicts[0]?.reason ?? Reason.Running, verdicts.map((v) => v.message).join('; ') || whenOk);
  return waiting(bad[0]!.reason, bad.map((v) => v.message).join('; '));
};

function componentVerdicts(lp: LikePipeline, get: Lookup): Record<ComponentCondition, Verdict> {
  const n = names(lp);
  const { redis, kafka, postgres, consumers } = lp.spec;
  const consumerVerdicts = LAG_ROLES.filter(({ field }) => consumers[field].enabled).map(({ role }) =>
    deployment(get, n.role(role)),
  );
  if (consumers.reconciler.enabled && consumers.reconciler.replicas > 0) {
    consumerVerdicts.push(deployment(get, n.role('reconciler')));
  }
  return {
    RedisReady:
      redis.mode === 'external'
        ? ok(Reason.External, `using ${redis.external?.nodes.length ?? 0} external Redis node(s)`)
        : // The keeper is ready only once the cluster it formed reports cluster_state:ok.
          all([statefulSet(get, n.redis, redisNodeCount(lp)), deployment(get, n.redisKeeper)], 'Redis Cluster ready'),
    KafkaReady:
      kafka.mode === 'external'
        ? ok(Reason.External, `using external brokers ${kafka.external?.bootstrapServers.join(',') ?? ''}`)
        : kafka.mode === 'strimzi'
          ? all(
              [readyCondition(get, 'Kafka', n.strimziKafka), readyCondition(get, 'KafkaTopic', n.strimziTopic)],
              'Strimzi Kafka ready',
            )
          : statefulSet(get, n.kafka, kafka.brokers),
    PostgresReady:
      postgres.mode === 'external'
        ? ok(Reason.External, 'using the external Postgres URL')
        : postgres.mode === 'cnpg'
          ? readyCondition(get, 'Cluster', n.cnpgCluster)
          : statefulSet(get, n.postgres, 1),
    ApiReady: deployment(get, n.api),
    ConsumersReady: consumerVerdicts.length
      ? all(consumerVerdicts, 'consumers running')
      : ok(Reason.NoneEnabled, 'no consumer role is enabled'),
  };
}

/** A condition this operator writes: its type and reason are among the known ones. */
export type ComputedCondition = Condition & { type: ConditionType; reason: ConditionReason };
export type ComputedStatus = LikePipelineStatus & { conditions: ComputedCondition[] };

/**
 * The status a reconcile should leave: one condition per component, Ready as their roll-up, and the phase.
 * `problems` (from desiredState) and `applyError` win over what the objects say: they need the user.
 */
export function computeStatus(
  lp: LikePipeline,
  get: Lookup,
  problems: Problem[],
  applyError: string | undefined,
  now: Date,
): ComputedStatus {
  const generation = lp.metadata.generation ?? 0;
  const previous = new Map((lp.status?.conditions ?? []).map((c) => [c.type, c]));
  const verdicts = componentVerdicts(lp, get);
  const conditions: ComputedCondition[] = [];
  const make = (type: ConditionType, v: Verdict): ComputedCondition => {
    const status = v.ok ? 'True' : 'False';
    const before = previous.get(type);
    return {
      type,
      status,
      observedGeneration: generation,
      // Kubernetes convention: the time moves only when the status does.
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now.toISOString(),
      reason: v.reason,
      message: v.message,
    };
  };
  for (const type of COMPONENT_CONDITIONS) {
    const problem = problems.find((p) => p.condition === type);
    conditions.push(make(type, problem ? waiting(problem.reason, problem.message) : verdicts[type]));
  }
  const notReady = conditions.filter((c) => c.status !== 'True');
  const topProblem = problems.find((p) => p.condition === 'Ready');
  let ready: Verdict;
  if (applyError) ready = waiting(Reason.ApplyFailed, applyError);
  else if (notReady.length) {
    ready = waiting(notReady[0]!.reason, notReady.map((c) => `${c.type}: ${c.message}`).join('; '));
  } else if (topProblem) ready = waiting(topProblem.reason, topProblem.message);
  else ready = ok(Reason.AllComponentsReady, `the like pipeline is serving at ${apiEndpoint(lp)}`);
  conditions.unshift(make('Ready', ready));

  const wasReady = lp.status?.phase === 'Ready' || lp.status?.phase === 'Degraded';
  const phase: Phase = ready.ok
    ? 'Ready'
    : applyError || problems.length
      ? 'Failed'
      : wasReady
        ? 'Degraded'
        : 'Provisioning';
  return {
    observedGeneration: generation,
    phase,
    conditions,
    apiEndpoint: apiEndpoint(lp),
    apiReplicas: get('Deployment', names(lp).api)?.status?.readyReplicas ?? 0,
    partitions: lp.spec.kafka.partitions,
  };
}

/** Equal ignoring nothing that matters: used to skip status writes that would change nothing. */
export function sameStatus(a: LikePipelineStatus | undefined, b: LikePipelineStatus): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(s: LikePipelineStatus | undefined) {
  if (!s) return undefined;
  return {
    observedGeneration: s.observedGeneration,
    phase: s.phase,
    apiEndpoint: s.apiEndpoint,
    apiReplicas: s.apiReplicas,
    partitions: s.partitions,
    conditions: [...(s.conditions ?? [])]
      .sort((x, y) => x.type.localeCompare(y.type))
      .map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration, c.lastTransitionTime]),
  };
}
