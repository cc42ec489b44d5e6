import {
  condition,
  createJwtSecret,
  createNamespace,
  deleteNamespace,
  getJson,
  installChart,
  kubectl,
  kubectlApply,
  kubectlResult,
  operatorKubeconfig,
  OperatorProcess,
  THIRD_PARTY,
  uniqueName,
  waitFor,
  type Obj,
} from '../support/k8s.js';

/**
 * Strimzi, CloudNativePG, KEDA and Prometheus Operator modes, with those projects' real CRDs (unchanged copies
 * in ../shared/third-party-crds; its README names the source tags). Their operators do not run here, so the
 * test plays their part where it must: it writes the Ready status they would.
 */
const ns = uniqueName('lp-3p');
const NAME = 'tp';
const CRD_FILES = [
  'strimzi-1.2.0/040-Crd-kafka.yaml',
  'strimzi-1.2.0/043-Crd-kafkatopic.yaml',
  'strimzi-1.2.0/045-Crd-kafkanodepool.yaml',
  'cloudnative-pg-1.30.0/postgresql.cnpg.io_clusters.yaml',
  'keda-2.20.1/keda.sh_scaledobjects.yaml',
  'prometheus-operator-0.93.0/monitoring.coreos.com_servicemonitors.yaml',
  'prometheus-operator-0.93.0/monitoring.coreos.com_prometheusrules.yaml',
].map((f) => `${THIRD_PARTY}/${f}`);
let op: OperatorProcess;

const ownerUid = (o: Obj | undefined) => o?.metadata.ownerReferences?.[0]?.uid as string | undefined;
const env = (c: Obj, name: string) => (c.env as Obj[]).find((e) => e.name === name);

beforeAll(async () => {
  await installChart();
  await createNamespace(ns);
  await createJwtSecret(ns);
  op = new OperatorProcess('third-party', await operatorKubeconfig()).start();
});

afterAll(async () => {
  await op?.stop();
  await deleteNamespace(ns);
  // Other test files expect a cluster without these CRDs.
  for (const f of CRD_FILES) await kubectlResult(['delete', '-f', f, '--ignore-not-found', '--wait=false']);
});

test('strimzi and cnpg modes without their CRDs: Ready=False with the reason, no crash', async () => {
  await kubectlApply(
    JSON.stringify({
      apiVersion: 'likepipe.io/v1alpha1',
      kind: 'LikePipeline',
      metadata: { name: NAME, namespace: ns },
      spec: {
        api: { minReplicas: 1, jwtSecretRef: { name: 'likepipe-jwt' } },
        redis: { mode: 'external', external: { nodes: ['redis.example:6379'] } },
        kafka: { mode: 'strimzi', brokers: 3, partitions: 24, replicationFactor: 3, minInSyncReplicas: 2 },
        postgres: { mode: 'cnpg', instances: 3 },
        consumers: { truthWriter: { maxReplicas: 40 } },
        monitoring: {
          serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
          prometheusRule: { enabled: true, labels: { release: 'prometheus' } },
        },
      },
    }),
  );
  const lp = await waitFor('KafkaReady=False', async () => {
    const o = await getJson('lp', NAME, ns);
    return condition(o, 'KafkaReady')?.status === 'False' && condition(o, 'PostgresReady')?.status === 'False' && o;
  });
  expect(condition(lp, 'KafkaReady')).toMatchObject({ reason: 'StrimziNotInstalled' });
  expect(condition(lp, 'KafkaReady')!.message).toContain('install the Strimzi operator');
  expect(condition(lp, 'PostgresReady')).toMatchObject({ reason: 'CloudNativePGNotInstalled' });
  expect(condition(lp, 'Ready')!.status).toBe('False');
  expect(lp.status.phase).toBe('Failed');
  // Without KEDA the truth-writer scales through an HPA on the lag metric.
  expect((await getJson('hpa', `${NAME}-truth-writer`, ns))!.spec.metrics[0].external.metric.name).toBe(
    'likepipe_kafka_consumer_lag',
  );
});

test('with the CRDs installed the operator creates Kafka, KafkaNodePool, KafkaTopic, Cluster, ScaledObject, ServiceMonitor, PrometheusRule', async () => {
  for (const f of CRD_FILES) await kubectl('apply', '--server-side', '-f', f);
  const lp = (await getJson('lp', NAME, ns))!;
  const uid = lp.metadata.uid as string;

  const kafka = await waitFor('Kafka', () => getJson('kafkas.kafka.strimzi.io', NAME, ns));
  expect(ownerUid(kafka)).toBe(uid);
  expect(kafka.spec.kafka.listeners).toEqual([{ name: 'plain', port: 9092, type: 'internal', tls: false }]);
  expect(kafka.spec.kafka.config).toMatchObject({ 'min.insync.replicas': 2, 'default.replication.factor': 3 });
  expect(kafka.spec.entityOperator).toEqual({ topicOperator: {} });

  const pool = (await waitFor('KafkaNodePool', () => getJson('kafkanodepools.kafka.strimzi.io', `${NAME}-dual`, ns)))!;
  expect(pool.metadata.labels['strimzi.io/cluster']).toBe(NAME);
  expect(pool.spec).toMatchObject({
    replicas: 3,
    roles: ['controller', 'broker'],
    storage: { type: 'persistent-claim', size: '5Gi' },
  });

  const topic = (await waitFor('KafkaTopic', () =>
    getJson('kafkatopics.kafka.strimzi.io', `${NAME}-like-events`, ns),
  ))!;
  expect(topic.metadata.labels['strimzi.io/cluster']).toBe(NAME);
  expect(topic.spec).toEqual({
    topicName: 'like-events',
    partitions: 24,
    replicas: 3,
    config: { 'min.insync.replicas': 2 },
  });

  const cluster = (await waitFor('Cluster', () => getJson('clusters.postgresql.cnpg.io', `${NAME}-pg`, ns)))!;
  expect(ownerUid(cluster)).toBe(uid);
  expect(cluster.spec).toMatchObject({
    instances: 3,
    bootstrap: { initdb: { database: 'likepipe', owner: 'likepipe' } },
  });

  // KEDA present: a ScaledObject replaces the HPA, capped at the partition count (40 asked, 24 partitions).
  const so = (await waitFor('ScaledObject', () => getJson('scaledobjects.keda.sh', `${NAME}-truth-writer`, ns)))!;
  expect(so.spec).toMatchObject({
    scaleTargetRef: { name: `${NAME}-truth-writer` },
    maxReplicaCount: 24,
    triggers: [
      {
        type: 'kafka',
        metadata: { consumerGroup: 'likepipe-truth-writer', topic: 'like-events', lagThreshold: '1000' },
      },
    ],
  });
  await waitFor('the lag HPA pruned', async () => (await getJson('hpa', `${NAME}-truth-writer`, ns)) === undefined);

  const sm = (await waitFor('ServiceMonitor', () =>
    getJson('servicemonitors.monitoring.coreos.com', `${NAME}-metrics`, ns),
  ))!;
  expect(sm.metadata.labels.release).toBe('prometheus');
  // The pipeline's own rules, accepted by the Prometheus Operator's CRD schema as the operator wrote them.
  const rule = (await waitFor('PrometheusRule', () =>
    getJson('prometheusrules.monitoring.coreos.com', `${NAME}-metrics`, ns),
  ))!;
  expect(ownerUid(rule)).toBe(uid);
  expect(rule.metadata.labels.release).toBe('prometheus');
  const alerts = (rule.spec.groups as Obj[]).flatMap((g) => g.rules as Obj[]).filter((r) => r.alert);
  expect(alerts.map((a) => a.alert)).toContain('LikePipeApiAvailabilityBudgetBurn');
  for (const a of alerts) expect(a.expr).toContain(`namespace="${ns}", pipeline="${NAME}"`);

  // The pipeline's pods find Kafka and Postgres where Strimzi and CloudNativePG put them.
  const tw = (await getJson('deployment', `${NAME}-truth-writer`, ns))!;
  const c = tw.spec.template.spec.containers[0] as Obj;
  expect(env(c, 'KAFKA_BROKERS')!.value).toBe(`${NAME}-kafka-bootstrap.${ns}.svc:9092`);
  expect(env(c, 'DATABASE_URL')!.valueFrom).toEqual({ secretKeyRef: { name: `${NAME}-pg-app`, key: 'uri' } });
  // Strimzi's Topic Operator owns the topic: no ensure-topic init container.
  expect((tw.spec.template.spec.initContainers as Obj[]).map((i) => i.name)).toEqual(['migrate']);
});

test('Ready follows what Strimzi and CloudNativePG report', async () => {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const ready = JSON.stringify({
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now, reason: 'Ready', message: 'ready' }],
    },
  });
  for (const [kind, name] of [
    ['kafkas.kafka.strimzi.io', NAME],
    ['kafkatopics.kafka.strimzi.io', `${NAME}-like-events`],
    ['clusters.postgresql.cnpg.io', `${NAME}-pg`],
  ] as const) {
    await kubectl('patch', kind, name, '-n', ns, '--subresource=status', '--type=merge', '-p', ready);
  }
  await kubectl('wait', '-n', ns, '--for=condition=Ready', `lp/${NAME}`, '--timeout=60s');
  const lp = (await getJson('lp', NAME, ns))!;
  expect(condition(lp, 'KafkaReady')).toMatchObject({
    status: 'True',
    message: expect.stringContaining(`Kafka ${NAME} is ready`),
  });
  expect(condition(lp, 'PostgresReady')).toMatchObject({ status: 'True' });
  expect(lp.status.phase).toBe('Ready');
});
