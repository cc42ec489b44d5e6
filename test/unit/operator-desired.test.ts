import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { likePipelineCrd } from '@likepipe/operator/api/crd.js';
import type { JsonSchema } from '@likepipe/operator/api/schema.js';
import type { LikePipeline } from '@likepipe/operator/api/types.js';
import { crdReference } from '@likepipe/operator/api/crd-reference.js';
import { crdYaml } from '@likepipe/operator/api/crd-yaml.js';
import { desiredState, type KubeObject, type Observed } from '@likepipe/operator/desired/index.js';
import { kafkaClusterId } from '@likepipe/operator/desired/kafka.js';
import { eventReason } from '@likepipe/operator/controller/events.js';
import { computeStatus, sameStatus } from '@likepipe/operator/status/conditions.js';
import { isProgressing, Reason } from '@likepipe/operator/status/reasons.js';

/**
 * The defaults the API server fills in, taken from the CRD itself so the fixture cannot drift from it (every
 * object-valued field's default is already expanded to its full value by api/crd.ts).
 */
function defaults(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema.properties ?? {})) {
    if (v.default !== undefined) out[k] = structuredClone(v.default);
  }
  return out;
}
// The schema the CRD carries (likePipelineCrd() puts this very object under spec.versions[0]).
const specSchema = likePipelineCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec;

function pipeline(patch: (s: LikePipeline['spec']) => void = () => undefined): LikePipeline {
  const spec = defaults(specSchema) as unknown as LikePipeline['spec'];
  spec.api = {
    ...defaults(specSchema.properties.api),
    jwtSecretRef: { name: 'jwt', key: 'jwt-secret' },
  } as LikePipeline['spec']['api'];
  patch(spec);
  return {
    apiVersion: 'likepipe.io/v1alpha1',
    kind: 'LikePipeline',
    metadata: { name: 'likes', namespace: 'prod', uid: '0b7a4a6c-1111-4222-8333-944445555666', generation: 3 },
    spec,
  };
}
const observed = (o: Partial<Observed> = {}): Observed => ({
  crds: { strimzi: false, cnpg: false, keda: false, serviceMonitor: false },
  postgresPassword: 'pw',
  secrets: { jwt: ['jwt-secret'] },
  ...o,
});
const byKey = (objs: KubeObject[]) => new Map(objs.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
// ConfigMaps and Secrets have no spec.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spec = (o: KubeObject | undefined) => (o && 'spec' in o ? o.spec : undefined) as any;

describe('operator: desired state (pure)', () => {
  test('the committed CRD file and field reference are what api/crd.ts generates', () => {
    const file = readFileSync(
      new URL('../../charts/likepipe-operator/crds/likepipelines.likepipe.io.yaml', import.meta.url),
      'utf8',
    );
    expect(file).toBe(crdYaml());
    expect(yaml.load(file)).toEqual(likePipelineCrd());
    const doc = readFileSync(new URL('../../docs/likepipeline-reference.md', import.meta.url), 'utf8');
    expect(doc).toBe(crdReference());
  });

  test('same input, same output: nothing random or time-dependent', () => {
    expect(JSON.stringify(desiredState(pipeline(), observed()))).toBe(
      JSON.stringify(desiredState(pipeline(), observed())),
    );
  });

  test('every object is owned by the pipeline, in its namespace, with its labels', () => {
    for (const o of desiredState(pipeline(), observed()).objects) {
      expect(o.metadata.namespace).toBe('prod');
      expect(o.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'LikePipeline',
          name: 'likes',
          uid: '0b7a4a6c-1111-4222-8333-944445555666',
          controller: true,
        }),
      ]);
      expect(o.metadata.labels).toMatchObject({
        'likepipe.io/pipeline': 'likes',
        'app.kubernetes.io/managed-by': 'likepipe-operator',
      });
    }
  });

  test('consumers never scale past the partition count', () => {
    const objs = byKey(
      desiredState(
        pipeline((s) => {
          s.kafka.partitions = 4;
          s.consumers.truthWriter.maxReplicas = 50;
          s.consumers.truthWriter.minReplicas = 9;
        }),
        observed(),
      ).objects,
    );
    expect(spec(objs.get('HorizontalPodAutoscaler/likes-truth-writer'))).toMatchObject({
      minReplicas: 4,
      maxReplicas: 4,
    });
    const keda = byKey(
      desiredState(
        pipeline((s) => (s.kafka.partitions = 4)),
        observed({ crds: { strimzi: false, cnpg: false, keda: true, serviceMonitor: false } }),
      ).objects,
    );
    expect(spec(keda.get('ScaledObject/likes-truth-writer')).maxReplicaCount).toBe(4);
    expect(keda.has('HorizontalPodAutoscaler/likes-truth-writer')).toBe(false);
  });

  test("every consumer role's flush settings reach its container", () => {
    const objs = byKey(
      desiredState(
        pipeline((s) => {
          s.consumers.analytics.flushIntervalMs = 250;
          s.consumers.feedRanker.batchSize = 777;
        }),
        observed(),
      ).objects,
    );
    const envOf = (name: string) => spec(objs.get(`Deployment/likes-${name}`)).template.spec.containers[0].env;
    expect(envOf('analytics')).toEqual(
      expect.arrayContaining([
        { name: 'LIKEPIPE_FLUSH_INTERVAL_MS', value: '250' },
        { name: 'LIKEPIPE_BATCH_SIZE', value: '5000' },
      ]),
    );
    expect(envOf('feed-ranker')).toContainEqual({ name: 'LIKEPIPE_BATCH_SIZE', value: '777' });
    expect(envOf('notifier')).toContainEqual({ name: 'LIKEPIPE_FLUSH_INTERVAL_MS', value: '1000' });
    expect(envOf('truth-writer')).toContainEqual({ name: 'LIKEPIPE_FLUSH_INTERVAL_MS', value: '1000' });
  });

  test('disabled roles and external stores produce no objects for them', () => {
    const objs = byKey(
      desiredState(
        pipeline((s) => {
          s.redis.mode = 'external';
          s.redis.external = { nodes: ['r:6379'] };
          s.consumers.reconciler.enabled = false;
        }),
        observed(),
      ).objects,
    );
    expect([...objs.keys()].filter((k) => k.includes('redis'))).toEqual([]);
    expect(objs.has('Deployment/likes-reconciler')).toBe(false);
    const api = spec(objs.get('Deployment/likes-api'));
    expect(api.template.spec.containers[0].env).toContainEqual({ name: 'REDIS_CLUSTER_NODES', value: 'r:6379' });
  });

  test('the API Deployment leaves replicas to its autoscaler; the Redis StatefulSet has shards × (1 + replicas) pods', () => {
    const objs = byKey(
      desiredState(
        pipeline((s) => ((s.redis.shards = 4), (s.redis.replicasPerShard = 2))),
        observed(),
      ).objects,
    );
    expect(spec(objs.get('Deployment/likes-api')).replicas).toBeUndefined();
    expect(spec(objs.get('StatefulSet/likes-redis')).replicas).toBe(12);
    const keeper = spec(objs.get('Deployment/likes-redis-keeper')).template.spec.containers[0];
    expect(keeper.env).toContainEqual({ name: 'LIKEPIPE_REDIS_SHARDS', value: '4' });
  });

  test('missing Secrets and CRDs become problems, not crashes', () => {
    const d = desiredState(
      pipeline((s) => ((s.kafka.mode = 'strimzi'), (s.postgres.mode = 'cnpg'))),
      observed({ secrets: { jwt: null } }),
    );
    expect(d.problems.map((p) => [p.condition, p.reason])).toEqual([
      ['ApiReady', 'SecretNotFound'],
      ['KafkaReady', 'StrimziNotInstalled'],
      ['PostgresReady', 'CloudNativePGNotInstalled'],
    ]);
    expect(d.objects.some((o) => o.kind === 'Kafka' || o.kind === 'Cluster')).toBe(false);
  });

  test('spec.monitoring.tracing gives every pipeline container the OTEL_* variables; unset, none at all', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const pipelineContainers = (objs: KubeObject[]): any[] =>
      objs
        .flatMap((o) => {
          const pod = spec(o)?.template?.spec;
          return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
        })
        .filter((c) => c.image === 'likepipe/pipeline:0.1.0');
    const otelNames = (c: { env: { name: string }[] }) => c.env.map((e) => e.name).filter((n) => n.startsWith('OTEL_'));

    expect(pipeline().spec.monitoring.tracing).toEqual({ protocol: 'http/protobuf', samplerRatio: 1 });
    const off = pipelineContainers(desiredState(pipeline(), observed()).objects);
    expect(off.flatMap(otelNames)).toEqual([]);

    const on = pipelineContainers(
      desiredState(
        pipeline((s) => {
          s.monitoring.tracing.otlpEndpoint = 'http://otel-collector.observability:4318';
          s.monitoring.tracing.samplerRatio = 0.25;
        }),
        observed(),
      ).objects,
    );
    expect(new Set(on.map((c) => c.name))).toEqual(
      new Set([
        'like-api',
        'migrate',
        'truth-writer',
        'ensure-topic',
        'notifier',
        'analytics',
        'feed-ranker',
        'reconciler',
        'redis-cluster-keeper',
      ]),
    );
    for (const c of on) {
      expect(c.env).toEqual(
        expect.arrayContaining([
          { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability:4318' },
          { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'http/protobuf' },
          { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
          { name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.25' },
          { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'k8s.namespace.name=prod,likepipe.pipeline=likes' },
        ]),
      );
    }
  });

  test('the KRaft cluster id is 22 URL-safe base64 characters, stable per uid', () => {
    const id = kafkaClusterId('0b7a4a6c-1111-4222-8333-944445555666');
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(kafkaClusterId('0b7a4a6c-1111-4222-8333-944445555666')).toBe(id);
  });
});

describe('operator: status (pure)', () => {
  const lp = pipeline();
  const now = new Date('2026-01-01T00:00:00Z');

  test('nothing exists yet: Provisioning, each component says what it waits for', () => {
    const s = computeStatus(lp, () => undefined, [], undefined, now);
    expect(s.phase).toBe('Provisioning');
    expect(s.observedGeneration).toBe(3);
    expect(s.conditions!.map((c) => c.type)).toEqual([
      'Ready',
      'RedisReady',
      'KafkaReady',
      'PostgresReady',
      'ApiReady',
      'ConsumersReady',
    ]);
    expect(s.conditions![1]).toMatchObject({
      status: 'False',
      reason: 'Creating',
      message: 'StatefulSet likes-redis does not exist yet; Deployment likes-redis-keeper does not exist yet',
    });
  });

  test('all running: Ready; a transition time moves only when the status does', () => {
    const get = (kind: string) =>
      kind === 'StatefulSet'
        ? { metadata: { generation: 1 }, status: { observedGeneration: 1, readyReplicas: 6 } }
        : {
            metadata: { generation: 1 },
            status: {
              observedGeneration: 1,
              availableReplicas: 2,
              readyReplicas: 2,
              conditions: [{ type: 'Available', status: 'True' }],
            },
          };
    const s = computeStatus(lp, get, [], undefined, now);
    expect(s.phase).toBe('Ready');
    expect(s.conditions![0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'AllComponentsReady' });
    const later = computeStatus({ ...lp, status: s }, get, [], undefined, new Date('2026-01-02T00:00:00Z'));
    expect(later.conditions![0]!.lastTransitionTime).toBe(now.toISOString());
    expect(sameStatus(s, later)).toBe(true);
    const broken = computeStatus(
      { ...lp, status: s },
      () => undefined,
      [],
      undefined,
      new Date('2026-01-02T00:00:00Z'),
    );
    expect(broken.phase).toBe('Degraded');
    expect(broken.conditions![0]!.lastTransitionTime).toBe('2026-01-02T00:00:00.000Z');
  });

  test('an apply error wins over everything and fails the phase', () => {
    const s = computeStatus(
      lp,
      () => undefined,
      [],
      'apply StatefulSet likes-redis: Forbidden: updates to statefulset spec ...',
      now,
    );
    expect(s.phase).toBe('Failed');
    expect(s.conditions![0]).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
  });
});

describe('operator: condition reasons and events', () => {
  test('every reason is a distinct CamelCase constant that fits the CRD', () => {
    const reasons = Object.values(Reason);
    expect(new Set(reasons).size).toBe(reasons.length);
    for (const [key, reason] of Object.entries(Reason)) {
      expect({ key, reason }).toEqual({ key, reason: expect.stringMatching(/^[A-Z][A-Za-z0-9]{0,1023}$/) as string });
    }
  });

  test('components coming up are progress, not trouble; Events are named after the condition', () => {
    expect(Object.values(Reason).filter(isProgressing)).toEqual(['Creating', 'PodsNotReady']);
    expect(eventReason({ type: 'Ready', status: 'True' })).toBe('Ready');
    expect(eventReason({ type: 'ApiReady', status: 'False' })).toBe('ApiReadyFalse');
  });
});
