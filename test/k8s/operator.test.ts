import {
  condition,
  createJwtSecret,
  createNamespace,
  deleteNamespace,
  ensureVolumes,
  getJson,
  installChart,
  kubectl,
  kubectlApply,
  operatorKubeconfig,
  OperatorProcess,
  ownedObjects,
  SMALL_EXAMPLE,
  uniqueName,
  waitFor,
  type Obj,
} from '../support/k8s.js';

/**
 * The operator end to end on a real API server: the chart installed with Helm, the operator as a local
 * process with the chart's ServiceAccount, the README's example applied with kubectl.
 */
const ns = uniqueName('lp-e2e');
const NAME = 'likes'; // the name in the small example
let op: OperatorProcess;
let kubeconfig: string;

const env = (container: Obj, name: string) =>
  (container.env as Obj[]).find((e) => e.name === name)?.value as string | undefined;
const container = (o: Obj, name?: string) =>
  (o.spec.template.spec.containers as Obj[]).find((c) => !name || c.name === name)!;
const resourceVersions = async () =>
  new Map([...(await ownedObjects(ns, NAME))].map(([k, o]) => [k, o.metadata.resourceVersion as string]));
/** Everything but status and bookkeeping: what a write by the operator (or anyone) to the object changes. */
const content = (o: Obj) => {
  const { status: _status, metadata, ...rest } = o;
  return JSON.stringify([rest, metadata.labels, metadata.annotations, metadata.ownerReferences]);
};

async function waitReconciled(generation: number): Promise<Obj> {
  return waitFor(`LikePipeline ${NAME} to report generation ${generation} Ready`, async () => {
    const lp = await getJson('lp', NAME, ns);
    return lp?.status?.observedGeneration === generation && condition(lp, 'Ready')?.status === 'True' && lp;
  });
}

beforeAll(async () => {
  await installChart();
  kubeconfig = await operatorKubeconfig();
  await createNamespace(ns);
  await createJwtSecret(ns);
  await ensureVolumes(10);
  op = new OperatorProcess('main', kubeconfig).start();
});

afterAll(async () => {
  await op?.stop();
  await deleteNamespace(ns);
});

describe('operator: the small example end to end', () => {
  test('kubectl apply the example; kubectl wait --for=condition=Ready succeeds; every object is there and owned', async () => {
    await kubectl('apply', '-n', ns, '-f', SMALL_EXAMPLE);
    await kubectl('wait', '-n', ns, '--for=condition=Ready', `lp/${NAME}`, '--timeout=120s');
    const lp = (await getJson('lp', NAME, ns))!;
    const spec = lp.spec;
    expect(lp.status.phase).toBe('Ready');
    expect(lp.status.observedGeneration).toBe(lp.metadata.generation);
    expect(lp.status.apiEndpoint).toBe(`http://${NAME}-api.${ns}.svc:${spec.api.service.port}`);
    for (const t of ['RedisReady', 'KafkaReady', 'PostgresReady', 'ApiReady', 'ConsumersReady']) {
      expect(condition(lp, t)).toMatchObject({ status: 'True', observedGeneration: lp.metadata.generation });
    }
    expect(await kubectl('get', 'lp', NAME, '-n', ns)).toMatch(
      new RegExp(`${NAME}\\s+True\\s+Ready\\s+\\d+\\s+${spec.kafka.partitions}`),
    );

    const owned = await ownedObjects(ns, NAME);
    const expected = [
      ...['api', 'truth-writer', 'notifier', 'feed-ranker', 'analytics', 'reconciler', 'redis-keeper'].map(
        (r) => `Deployment/${NAME}-${r}`,
      ),
      ...['redis', 'kafka', 'postgres'].map((r) => `StatefulSet/${NAME}-${r}`),
      ...['api', 'redis', 'kafka', 'postgres', 'metrics'].map((r) => `Service/${NAME}-${r}`),
      ...['redis', 'kafka', 'postgres'].map((r) => `ConfigMap/${NAME}-${r}-config`),
      `Secret/${NAME}-postgres`,
      ...['api', 'truth-writer', 'notifier', 'feed-ranker', 'analytics'].map(
        (r) => `HorizontalPodAutoscaler/${NAME}-${r}`,
      ),
      ...['api', 'redis', 'kafka', 'postgres'].map((r) => `PodDisruptionBudget/${NAME}-${r}`),
      ...['redis', 'kafka', 'postgres'].map((r) => `NetworkPolicy/${NAME}-${r}-ingress`),
    ];
    expect([...owned.keys()].sort()).toEqual(expected.sort());
    for (const [key, o] of owned) {
      expect({ key, owners: o.metadata.ownerReferences }).toEqual({
        key,
        owners: [
          {
            apiVersion: 'likepipe.io/v1alpha1',
            kind: 'LikePipeline',
            name: NAME,
            uid: lp.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      });
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'likepipeline',
        'app.kubernetes.io/instance': NAME,
        'app.kubernetes.io/managed-by': 'likepipe-operator',
        'likepipe.io/pipeline': NAME,
      });
      const managers = (o.metadata.managedFields as Obj[]).filter((m) => m.manager === 'likepipe-operator');
      expect({ key, ops: managers.map((m) => m.operation) }).toEqual({ key, ops: ['Apply'] });
    }

    const get = (k: string) => owned.get(k)!;
    // The ingress rules name their sources: only the pipeline's data clients reach Postgres. (Applied through
    // client-node's model serializer, `from` was dropped and the rule admitted every pod.)
    expect(get(`NetworkPolicy/${NAME}-postgres-ingress`).spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'likepipe.io/pipeline': NAME, 'likepipe.io/data-client': 'true' } } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
    const redis = get(`StatefulSet/${NAME}-redis`);
    expect(redis.spec.replicas).toBe(spec.redis.shards * (1 + spec.redis.replicasPerShard));
    expect(redis.status.readyReplicas).toBe(redis.spec.replicas);
    // The broker runs the operator's start script with the operator's server.properties (no image variables).
    const kafka = container(get(`StatefulSet/${NAME}-kafka`));
    expect(kafka.command).toEqual(['sh', '/etc/likepipe/kafka/start.sh']);
    expect(get(`ConfigMap/${NAME}-kafka-config`).data['server.properties']).toContain(
      `\nnum.partitions=${spec.kafka.partitions}\n`,
    );
    expect(get(`HorizontalPodAutoscaler/${NAME}-api`).spec).toMatchObject({
      minReplicas: spec.api.minReplicas,
      maxReplicas: spec.api.maxReplicas,
      scaleTargetRef: { kind: 'Deployment', name: `${NAME}-api` },
    });
    const api = get(`Deployment/${NAME}-api`);
    // The HPA (kube-controller-manager's, for real) scaled the API to its minimum; the operator never sets it.
    expect(api.status.readyReplicas).toBe(spec.api.minReplicas);
    expect((container(api).env as Obj[]).find((e) => e.name === 'LIKEPIPE_JWT_SECRET')).toEqual({
      name: 'LIKEPIPE_JWT_SECRET',
      valueFrom: { secretKeyRef: { name: spec.api.jwtSecretRef.name, key: spec.api.jwtSecretRef.key } },
    });
    const tw = get(`Deployment/${NAME}-truth-writer`);
    expect(env(container(tw), 'LIKEPIPE_FLUSH_INTERVAL_MS')).toBe(String(spec.consumers.truthWriter.flushIntervalMs));
    expect((tw.spec.template.spec.initContainers as Obj[]).map((c) => c.args[0])).toEqual(['ensure-topic', 'migrate']);
    expect(get(`HorizontalPodAutoscaler/${NAME}-truth-writer`).spec.maxReplicas).toBe(
      Math.min(spec.consumers.truthWriter.maxReplicas, spec.kafka.partitions),
    );
    // Every pipeline pod reaches Postgres through the generated Secret, never a literal password.
    expect((container(tw).env as Obj[]).find((e) => e.name === 'DATABASE_URL')).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: `${NAME}-postgres`, key: 'url' } },
    });
    const events = await kubectl(
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      `involvedObject.name=${NAME}`,
      '-o',
      'json',
    );
    expect((JSON.parse(events).items as Obj[]).map((e) => e.reason)).toContain('Ready');
  });

  test('a spec change updates only what it should and bumps observedGeneration', async () => {
    const before = (await getJson('lp', NAME, ns))!;
    const s = before.spec;
    const contentBefore = new Map([...(await ownedObjects(ns, NAME))].map(([k, o]) => [k, content(o)]));
    const change = {
      spec: {
        kafka: { partitions: s.kafka.partitions + 2 },
        api: { maxReplicas: s.api.maxReplicas + 2 },
        consumers: { truthWriter: { flushIntervalMs: s.consumers.truthWriter.flushIntervalMs + 250 } },
      },
    };
    await kubectl('patch', 'lp', NAME, '-n', ns, '--type=merge', '-p', JSON.stringify(change));
    const after = await waitReconciled(before.metadata.generation + 1);
    expect(after.status.partitions).toBe(s.kafka.partitions + 2);
    // Let controllers finish what the changed objects set off (a rollout of the changed pods).
    await new Promise((r) => setTimeout(r, 2000));

    const owned = await ownedObjects(ns, NAME);
    // Controllers keep writing status (a PDB counts the rolled Kafka pod); only content changes are writes of ours.
    const changed = [...owned.keys()].filter((k) => content(owned.get(k)!) !== contentBefore.get(k)).sort();
    const capBefore = Math.min(s.consumers.truthWriter.maxReplicas, s.kafka.partitions);
    const capAfter = Math.min(s.consumers.truthWriter.maxReplicas, s.kafka.partitions + 2);
    const expected = [
      `Deployment/${NAME}-truth-writer`, // flush interval, and the partitions its ensure-topic init creates
      `HorizontalPodAutoscaler/${NAME}-api`, // maxReplicas
      `ConfigMap/${NAME}-kafka-config`, // the broker's default partition count (server.properties)
      `StatefulSet/${NAME}-kafka`, // its config-hash annotation, so the brokers restart with it
      ...(capAfter !== capBefore ? [`HorizontalPodAutoscaler/${NAME}-truth-writer`] : []),
    ].sort();
    expect(changed).toEqual(expected);
    expect(owned.get(`HorizontalPodAutoscaler/${NAME}-api`)!.spec.maxReplicas).toBe(s.api.maxReplicas + 2);
    const tw = owned.get(`Deployment/${NAME}-truth-writer`)!;
    expect(env(container(tw), 'LIKEPIPE_FLUSH_INTERVAL_MS')).toBe(
      String(s.consumers.truthWriter.flushIntervalMs + 250),
    );
    const init = (tw.spec.template.spec.initContainers as Obj[]).find((c) => c.name === 'ensure-topic')!;
    expect(env(init, 'LIKEPIPE_KAFKA_PARTITIONS')).toBe(String(s.kafka.partitions + 2));
  });

  test('partitions cannot shrink: the API server says why', async () => {
    const lp = (await getJson('lp', NAME, ns))!;
    const r = await kubectlApply(
      JSON.stringify({
        ...lp,
        metadata: { name: NAME, namespace: ns },
        status: undefined,
        spec: { ...lp.spec, kafka: { ...lp.spec.kafka, partitions: 1 } },
      }),
    ).catch((err: Error) => err.message);
    expect(r).toContain('kafka.partitions cannot be decreased');
  });

  test('restarting the operator causes no writes to unchanged objects', async () => {
    const lpBefore = (await getJson('lp', NAME, ns))!;
    const rvBefore = await resourceVersions();
    await op.stop();
    op = new OperatorProcess('restarted', kubeconfig).start();
    await waitFor(
      'the new operator to reconcile',
      async () => (await op.metric('likepipe_operator_reconcile_total')) >= 1,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await op.metric('likepipe_operator_reconcile_errors_total')).toBe(0);
    expect(await resourceVersions()).toEqual(rvBefore);
    expect((await getJson('lp', NAME, ns))!.metadata.resourceVersion).toBe(lpBefore.metadata.resourceVersion);
  });

  test('a hand edit of an owned field is taken back', async () => {
    await kubectl('patch', 'hpa', `${NAME}-api`, '-n', ns, '--type=merge', '-p', '{"spec":{"maxReplicas":99}}');
    const lp = (await getJson('lp', NAME, ns))!;
    await waitFor('the operator to restore maxReplicas', async () => {
      const hpa = await getJson('hpa', `${NAME}-api`, ns);
      return hpa?.spec.maxReplicas === lp.spec.api.maxReplicas;
    });
  });

  test('a missing Secret shows as a condition, and the pipeline recovers once it exists', async () => {
    const name = 'nosecret';
    await kubectlApply(
      JSON.stringify({
        apiVersion: 'likepipe.io/v1alpha1',
        kind: 'LikePipeline',
        metadata: { name, namespace: ns },
        spec: {
          api: { jwtSecretRef: { name: 'not-yet' } },
          redis: { mode: 'external', external: { nodes: ['redis.example:6379'] } },
          kafka: { mode: 'external', external: { bootstrapServers: ['kafka.example:9092'] } },
          postgres: { mode: 'external', external: { urlSecretRef: { name: 'pg-url' } } },
          consumers: { reconciler: { enabled: false } },
        },
      }),
    );
    const lp = await waitFor('ApiReady=False with a reason', async () => {
      const o = await getJson('lp', name, ns);
      return condition(o, 'ApiReady')?.status === 'False' && condition(o, 'PostgresReady')?.status === 'False' && o;
    });
    expect(condition(lp, 'ApiReady')).toMatchObject({
      reason: 'SecretNotFound',
      message: `spec.api.jwtSecretRef: Secret ${ns}/not-yet does not exist; create it with a "jwt-secret" key`,
    });
    expect(condition(lp, 'PostgresReady')).toMatchObject({ reason: 'SecretNotFound' });
    expect(condition(lp, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(lp.status.phase).toBe('Failed');
    // A Secret without the key is its own, equally clear, problem.
    await kubectl('create', 'secret', 'generic', 'not-yet', '-n', ns, '--from-literal=wrong-key=x');
    await waitFor(
      'SecretKeyNotFound',
      async () => condition(await getJson('lp', name, ns), 'ApiReady')?.reason === 'SecretKeyNotFound',
    );
    expect(condition(await getJson('lp', name, ns), 'ApiReady')!.message).toContain(
      'has no key "jwt-secret" (it has: wrong-key)',
    );

    await kubectl('delete', 'secret', 'not-yet', '-n', ns);
    await createJwtSecret(ns, 'not-yet');
    await kubectl('create', 'secret', 'generic', 'pg-url', '-n', ns, '--from-literal=url=postgres://u:p@pg.example/db');
    await kubectl('wait', '-n', ns, '--for=condition=Ready', `lp/${name}`, '--timeout=60s');
    const ready = (await getJson('lp', name, ns))!;
    expect(condition(ready, 'RedisReady')).toMatchObject({ status: 'True', reason: 'External' });
    const events = JSON.parse(
      await kubectl('get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`, '-o', 'json'),
    ).items as Obj[];
    expect(events.some((e) => e.type === 'Warning' && e.reason === 'ApiReadyFalse')).toBe(true);
    await kubectl('delete', 'lp', name, '-n', ns);
  });

  test('kafka.brokers: 3 with no replication fields: the API server stores none, the operator derives RF 3 and min ISR 2', async () => {
    const name = 'three';
    await kubectlApply(
      JSON.stringify({
        apiVersion: 'likepipe.io/v1alpha1',
        kind: 'LikePipeline',
        metadata: { name, namespace: ns },
        spec: {
          api: { jwtSecretRef: { name: 'likepipe-jwt' } },
          redis: { mode: 'external', external: { nodes: ['redis.example:6379'] } },
          kafka: { brokers: 3, partitions: 6 },
        },
      }),
    );
    const stored = (await getJson('lp', name, ns))!;
    expect(stored.spec.kafka).toMatchObject({ mode: 'builtin', brokers: 3 });
    expect(stored.spec.kafka).not.toHaveProperty('replicationFactor');
    expect(stored.spec.kafka).not.toHaveProperty('minInSyncReplicas');

    const props = await waitFor(
      'the builtin Kafka ConfigMap',
      async () => (await getJson('configmap', `${name}-kafka-config`, ns))?.data['server.properties'] as string,
    );
    expect(props).toContain('\ndefault.replication.factor=3\n');
    expect(props).toContain('\nmin.insync.replicas=2\n');
    // The operator applies its objects one after another: the StatefulSet may follow the ConfigMap a moment later.
    const sts = await waitFor('the builtin Kafka StatefulSet', () => getJson('statefulset', `${name}-kafka`, ns));
    expect(sts.spec.replicas).toBe(3);
    const tw = await waitFor('the truth-writer', () => getJson('deployment', `${name}-truth-writer`, ns));
    const init = (tw.spec.template.spec.initContainers as Obj[]).find((c) => c.name === 'ensure-topic')!;
    expect([env(init, 'LIKEPIPE_KAFKA_REPLICATION_FACTOR'), env(init, 'LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS')]).toEqual([
      '3',
      '2',
    ]);

    // Explicit values still answer to the CEL rules: min ISR above the factor never reaches the operator.
    const r = await kubectlApply(
      JSON.stringify({
        ...stored,
        metadata: { name, namespace: ns },
        status: undefined,
        spec: { ...stored.spec, kafka: { ...stored.spec.kafka, replicationFactor: 2, minInSyncReplicas: 3 } },
      }),
    ).catch((err: Error) => err.message);
    expect(r).toContain('kafka.minInSyncReplicas must not exceed kafka.replicationFactor');
    await kubectl('delete', 'lp', name, '-n', ns, '--wait=true');
  });

  test('deleting the LikePipeline garbage-collects everything it owned', async () => {
    expect((await ownedObjects(ns, NAME)).size).toBeGreaterThan(0);
    await kubectl('delete', 'lp', NAME, '-n', ns, '--wait=true');
    await waitFor(
      'garbage collection of every owned object',
      async () => (await ownedObjects(ns, NAME)).size === 0,
      60_000,
      500,
    );
    await waitFor('the pipeline pods to go', async () => {
      const pods = JSON.parse(
        await kubectl('get', 'pods', '-n', ns, '-l', `app.kubernetes.io/instance=${NAME}`, '-o', 'json'),
      );
      return (pods.items as Obj[]).length === 0;
    });
  });
});
