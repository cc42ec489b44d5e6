import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { likePipelineCrd } from '@likepipe/operator/api/crd.js';
import type { JsonSchema } from '@likepipe/operator/api/schema.js';
import type { LikePipeline } from '@likepipe/operator/api/types.js';
import { crdReference } from '@likepipe/operator/api/crd-reference.js';
import { crdYaml } from '@likepipe/operator/api/crd-yaml.js';
import { desiredState, type KubeObject, type Observed } from '@likepipe/operator/desired/index.js';
import { kafkaClusterId } from '@likepipe/operator/desired/kafka.js';
import { DATA_STORE_UID } from '@likepipe/operator/desired/images.js';
import { KAFKA_PATHS } from '@likepipe/operator/desired/kafka-config.js';
import { POSTGRES_PATHS } from '@likepipe/operator/desired/postgres-config.js';
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
  crds: { strimzi: false, cnpg: false, keda: false, serviceMonitor: false, prometheusRule: false },
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
        observed({ crds: { strimzi: false, cnpg: false, keda: true, serviceMonitor: false, prometheusRule: false } }),
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

  test('spec.monitoring.prometheusRule makes a PrometheusRule of this pipeline only, and the ServiceMonitor labels every scrape with its pipeline and role', () => {
    expect(pipeline().spec.monitoring.prometheusRule.enabled).toBe(false);
    const crds = { ...observed().crds, serviceMonitor: true, prometheusRule: true };
    const off = byKey(desiredState(pipeline(), observed({ crds })).objects);
    expect([...off.keys()].filter((k) => k.startsWith('PrometheusRule/'))).toEqual([]);

    const lp = pipeline((s) => {
      s.monitoring.prometheusRule = {
        enabled: true,
        labels: { release: 'prom' },
        runbookBaseURL: 'https://wiki.example/rb/',
      };
      s.monitoring.serviceMonitor.enabled = true;
    });
    const on = byKey(desiredState(lp, observed({ crds })).objects);
    const rule = on.get('PrometheusRule/likes-metrics')!;
    expect(rule.metadata.labels).toMatchObject({ release: 'prom', 'likepipe.io/pipeline': 'likes' });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const rules: any[] = spec(rule).groups.flatMap((g: { rules: unknown[] }) => g.rules);
    expect(rules.length).toBeGreaterThan(20);
    for (const r of rules) {
      // Every selector of every rule is scoped to this pipeline: another pipeline's series never count.
      const selectors = (r.expr as string).match(/\{[^}]*\}/g) ?? [];
      expect(selectors.length).toBeGreaterThan(0);
      for (const sel of selectors) expect(sel).toContain('namespace="prod", pipeline="likes"');
      if (r.alert) expect(r.annotations.runbook_url).toMatch(/^https:\/\/wiki\.example\/rb\/[a-z-]+\.md$/);
    }

    const sm = spec(on.get('ServiceMonitor/likes-metrics'));
    for (const e of sm.endpoints) {
      expect(e.relabelings).toEqual(
        expect.arrayContaining([
          { sourceLabels: ['__meta_kubernetes_pod_label_likepipe_io_pipeline'], targetLabel: 'pipeline' },
          { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'], targetLabel: 'role' },
          { sourceLabels: ['role'], regex: 'api', targetLabel: 'role', replacement: 'like-api' },
        ]),
      );
    }

    // Asked for without the CRD: Ready=False says what to install.
    const missing = desiredState(lp, observed({ crds: { ...crds, prometheusRule: false } }));
    expect(missing.problems.map((p) => p.reason)).toContain(Reason.PrometheusRuleCRDMissing);
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

describe('operator: the builtin data stores run commands the operator renders', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Any = any;
  const objectsOf = (patch?: (s: LikePipeline['spec']) => void) =>
    byKey(desiredState(pipeline(patch), observed()).objects);
  const configOf = (objs: Map<string, KubeObject>, name: string) =>
    (objs.get(`ConfigMap/${name}`) as { data: Record<string, string> } | undefined)!.data;
  const podOf = (objs: Map<string, KubeObject>, sts: string) => spec(objs.get(`StatefulSet/${sts}`)).template.spec;
  const containersOf = (pod: Any): Any[] => [...(pod.initContainers ?? []), ...pod.containers];
  // No replicationFactor or minInSyncReplicas: three brokers alone must give RF 3 and min ISR 2.
  const threeBrokers = (s: LikePipeline['spec']) => {
    s.kafka.brokers = 3;
    s.kafka.partitions = 9;
  };

  test('the data stores default to the project images, tagged with the repository version', () => {
    const version = (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
    const s = pipeline().spec;
    expect([s.redis.image, s.kafka.image, s.postgres.image]).toEqual([
      `likepipe/redis:${version}`,
      `likepipe/kafka:${version}`,
      `likepipe/postgres:${version}`,
    ]);
  });

  test('one broker: server.properties for a single-voter quorum, internal topics at RF 1', () => {
    const props = configOf(objectsOf(), 'likes-kafka-config')['server.properties']!;
    const lines = props.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual([
      'process.roles=broker,controller',
      'node.id=@NODE_ID@',
      'controller.quorum.voters=0@likes-kafka-0.likes-kafka.prod.svc:9093',
      'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
      'advertised.listeners=PLAINTEXT://@POD_NAME@.likes-kafka.prod.svc:9092',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'log.dirs=/var/lib/kafka/data/logs',
      `num.partitions=${pipeline().spec.kafka.partitions}`,
      'default.replication.factor=1',
      'min.insync.replicas=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'auto.create.topics.enable=false',
      'group.initial.rebalance.delay.ms=0',
    ]);
  });

  test('three brokers: every broker a voter by its pod DNS name, internal topics at RF 3 with min ISR 2', () => {
    const props = configOf(objectsOf(threeBrokers), 'likes-kafka-config')['server.properties']!;
    expect(props).toContain(
      'controller.quorum.voters=0@likes-kafka-0.likes-kafka.prod.svc:9093,' +
        '1@likes-kafka-1.likes-kafka.prod.svc:9093,2@likes-kafka-2.likes-kafka.prod.svc:9093\n',
    );
    for (const line of [
      'num.partitions=9',
      'default.replication.factor=3',
      'min.insync.replicas=2',
      'offsets.topic.replication.factor=3',
      'transaction.state.log.replication.factor=3',
      'transaction.state.log.min.isr=2',
      'share.coordinator.state.topic.min.isr=2',
    ]) {
      expect(props).toContain(`\n${line}\n`);
    }
    expect(spec(objectsOf(threeBrokers).get('StatefulSet/likes-kafka')).replicas).toBe(3);
  });

  test('the topic replication reaches every object that carries it: derived from the brokers, explicit values as given', () => {
    const ensureTopic = (objs: Map<string, KubeObject>) => {
      const tw = spec(objs.get('Deployment/likes-truth-writer')).template.spec;
      const c = (tw.initContainers as Any[]).find((i) => i.name === 'ensure-topic');
      const env = (name: string) => (c.env as Any[]).find((e) => e.name === name)?.value;
      return [env('LIKEPIPE_KAFKA_REPLICATION_FACTOR'), env('LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS')];
    };
    const brokerDefaults = (objs: Map<string, KubeObject>) => {
      const props = configOf(objs, 'likes-kafka-config')['server.properties']!;
      return props.split('\n').filter((l) => /^(default\.replication\.factor|min\.insync\.replicas)=/.test(l));
    };
    const strimzi = (patch: (s: LikePipeline['spec']) => void) => {
      const objs = byKey(
        desiredState(
          pipeline((s) => ((s.kafka.mode = 'strimzi'), patch(s))),
          observed({ crds: { strimzi: true, cnpg: false, keda: false, serviceMonitor: false, prometheusRule: false } }),
        ).objects,
      );
      const kafka = (objs.get('Kafka/likes') as Any).spec.kafka.config;
      const topic = spec(objs.get('KafkaTopic/likes-like-events'));
      return [kafka['default.replication.factor'], kafka['min.insync.replicas'], topic.replicas, topic.config];
    };

    const three = objectsOf(threeBrokers);
    expect(brokerDefaults(three)).toEqual(['default.replication.factor=3', 'min.insync.replicas=2']);
    expect(ensureTopic(three)).toEqual(['3', '2']);
    expect(brokerDefaults(objectsOf())).toEqual(['default.replication.factor=1', 'min.insync.replicas=1']);
    expect(ensureTopic(objectsOf())).toEqual(['1', '1']);
    expect(strimzi(threeBrokers)).toEqual([3, 2, 3, { 'min.insync.replicas': 2 }]);

    // Explicit values win over the derivation, in every object.
    const explicit = (s: LikePipeline['spec']) => {
      threeBrokers(s);
      s.kafka.replicationFactor = 2;
    };
    expect(brokerDefaults(objectsOf(explicit))).toEqual(['default.replication.factor=2', 'min.insync.replicas=1']);
    expect(ensureTopic(objectsOf(explicit))).toEqual(['2', '1']);
    expect(strimzi(explicit)).toEqual([2, 1, 2, { 'min.insync.replicas': 1 }]);
    const isr3 = (s: LikePipeline['spec']) => {
      threeBrokers(s);
      s.kafka.minInSyncReplicas = 3;
    };
    expect(ensureTopic(objectsOf(isr3))).toEqual(['3', '3']);

    // External brokers: the operator cannot count them, so the contract's default until the user says.
    const external = (s: LikePipeline['spec']) => {
      s.kafka.mode = 'external';
      s.kafka.brokers = 3;
      s.kafka.external = { bootstrapServers: ['kafka.example:9092'] };
    };
    expect(ensureTopic(objectsOf(external))).toEqual(['1', '1']);
  });

  test("Kafka's start script: node id from the ordinal, storage formatted once with the derived cluster id, java -cp the image's jars", () => {
    const script = configOf(objectsOf(), 'likes-kafka-config')['start.sh']!;
    expect(script).toContain('node_id=${POD_NAME##*-}');
    expect(script).toContain('sed -e "s/@NODE_ID@/$node_id/g" -e "s/@POD_NAME@/$POD_NAME/g"');
    expect(script).toContain(`if [ ! -f ${KAFKA_PATHS.data}/logs/meta.properties ]; then`);
    expect(script).toContain(`--cluster-id ${kafkaClusterId(pipeline().metadata.uid)} --config`);
    expect(script).toContain("-cp '/opt/kafka/libs/*' kafka.Kafka /var/run/kafka/server.properties\n");
    expect(script).toMatch(/\nexec java /);
    // The pod runs the script from the ConfigMap; the only variable is the downward API's pod name.
    const kafka = podOf(objectsOf(), 'likes-kafka').containers[0];
    expect(kafka.command).toEqual(['sh', '/etc/likepipe/kafka/start.sh']);
    expect(kafka.env).toEqual([{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
  });

  test("Postgres: initdb once in an init container, the password from the Secret's file, then postgres -D", () => {
    const objs = objectsOf();
    const data = configOf(objs, 'likes-postgres-config');
    expect(Object.keys(data).sort()).toEqual(['init.sh', 'pg_hba.conf', 'postgresql.conf']);
    expect(data['postgresql.conf']).toContain("listen_addresses = '*'\nport = 5432\n");
    expect(data['postgresql.conf']).toContain('password_encryption = scram-sha-256\n');
    expect(data['pg_hba.conf']!.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'local   all       all            trust',
      'host    likepipe  likepipe  0.0.0.0/0  scram-sha-256',
      'host    likepipe  likepipe  ::/0       scram-sha-256',
    ]);
    const init = data['init.sh']!;
    expect(init).toContain(`password=$(cat ${POSTGRES_PATHS.secret}/password)`);
    expect(init).toContain('if [ ! -s "$data/PG_VERSION" ]; then');
    expect(init).toContain('initdb -D "$data.init" -U postgres');
    expect(init).toContain('CREATE DATABASE "likepipe" OWNER "likepipe";');
    // The password never reaches an argv: the SQL goes to postgres --single on stdin.
    expect(init).not.toMatch(/postgres --single[^\n]*\$password/);

    const pod = podOf(objs, 'likes-postgres');
    expect(pod.initContainers.map((c: Any) => [c.name, c.command])).toEqual([
      ['init', ['sh', '/etc/likepipe/postgres/init.sh']],
    ]);
    expect(pod.containers[0].command).toEqual(['postgres', '-D', '/var/lib/postgresql/data/pgdata']);
    expect(pod.volumes).toContainEqual({
      name: 'secret',
      secret: { secretName: 'likes-postgres', items: [{ key: 'password', path: 'password' }] },
    });
    expect(pod.containers[0].readinessProbe.exec.command[0]).toBe('pg_isready');
  });

  test('no data-store container relies on image entrypoint variables (KAFKA_*, POSTGRES_*, PG*)', () => {
    const objs = objectsOf(threeBrokers);
    const offenders: string[] = [];
    for (const sts of ['likes-redis', 'likes-kafka', 'likes-postgres']) {
      for (const c of containersOf(podOf(objs, sts))) {
        for (const { name } of (c.env ?? []) as { name: string }[]) {
          if (/^(KAFKA_|POSTGRES_|PG)/.test(name)) offenders.push(`${sts}/${c.name}: ${name}`);
        }
        // Every one says what it runs: no image's entrypoint or CMD is relied on.
        if (!c.command?.length) offenders.push(`${sts}/${c.name}: no command`);
      }
    }
    expect(offenders).toEqual([]);
  });

  test("the pods run as the images' users, restricted, with a read-only root and emptyDirs where they write", () => {
    const objs = objectsOf();
    const stores = [
      ['likes-redis', DATA_STORE_UID.redis],
      ['likes-kafka', DATA_STORE_UID.kafka],
      ['likes-postgres', DATA_STORE_UID.postgres],
    ] as const;
    for (const [sts, uid] of stores) {
      const pod = podOf(objs, sts);
      expect(pod.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of containersOf(pod)) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
    const mounts = (sts: string) =>
      Object.fromEntries(
        podOf(objs, sts).containers[0].volumeMounts.map((m: { name: string; mountPath: string }) => [
          m.mountPath,
          m.name,
        ]),
      );
    expect(mounts('likes-kafka')).toMatchObject({ '/var/run/kafka': 'rendered', '/tmp': 'tmp' });
    expect(mounts('likes-postgres')).toMatchObject({ '/var/run/postgresql': 'run', '/tmp': 'tmp' });
  });

  test('a change to a rendered config changes the pod template (the config-hash annotation), so the pods restart', () => {
    const hashOf = (objs: Map<string, KubeObject>, sts: string) =>
      spec(objs.get(`StatefulSet/${sts}`)).template.metadata.annotations['likepipe.io/config-hash'];
    const before = objectsOf();
    const after = objectsOf((s) => {
      s.kafka.partitions += 3;
      s.postgres.database = 'likes_db';
    });
    expect(hashOf(after, 'likes-kafka')).not.toBe(hashOf(before, 'likes-kafka'));
    expect(hashOf(after, 'likes-postgres')).not.toBe(hashOf(before, 'likes-postgres'));
    expect(hashOf(after, 'likes-redis')).toBe(hashOf(before, 'likes-redis'));
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
