import { readdirSync } from 'node:fs';
import {
  CHART,
  createNamespace,
  deleteNamespace,
  getJson,
  helm,
  installChart,
  kubectl,
  kubectlResult,
  operatorServiceAccount,
  uniqueName,
  type Obj,
} from '../support/k8s.js';

/** The Helm chart and the CRD against the real API server: lint, server-side dry runs, install, rejections. */
const ns = uniqueName('lp-crd');

beforeAll(async () => {
  await installChart();
  await createNamespace(ns);
});
afterAll(() => deleteNamespace(ns));

describe('Helm chart', () => {
  test('helm lint --strict is clean, with and without the optional parts', async () => {
    for (const set of [[], ['--set', 'watchNamespace=team-a'], ['--set', 'serviceMonitor.enabled=true']]) {
      const r = await helm('lint', '--strict', CHART, ...set);
      expect({ set, code: r.code, out: r.code ? r.stdout + r.stderr : '' }).toEqual({ set, code: 0, out: '' });
    }
  });

  test('the rendered manifests pass a server-side dry run', async () => {
    const rendered = await helm('template', 'dry', CHART, '--namespace', ns);
    expect(rendered.code).toBe(0);
    const r = await kubectlResult(['apply', '--dry-run=server', '-n', ns, '-f', '-'], rendered.stdout);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(r.stdout).toMatch(/deployment.apps\/\S+ created \(server dry run\)/);
    expect(r.stdout).toMatch(/clusterrole.rbac.authorization.k8s.io\/\S+ created \(server dry run\)/);
  });

  test('values.schema.json rejects bad values with a message naming them', async () => {
    const r = await helm('template', 'bad', CHART, '--set', 'logLevel=loud');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('logLevel');
  });

  test('the installed operator gets least privilege: what it needs and nothing more', async () => {
    const sa = await operatorServiceAccount();
    const can = async (verb: string, resource: string) => {
      const [res, sub] = resource.split('/');
      const args = ['auth', 'can-i', verb, res!, '-n', ns, `--as=system:serviceaccount:likepipe-system:${sa}`];
      return (await kubectlResult(sub ? [...args, `--subresource=${sub}`] : args)).stdout.trim();
    };
    for (const [verb, resource] of [
      ['patch', 'deployments.apps'],
      ['patch', 'statefulsets.apps'],
      ['delete', 'services'],
      ['patch', 'likepipelines.likepipe.io/status'],
      ['watch', 'likepipelines.likepipe.io'],
      ['create', 'events'],
    ]) {
      expect(`${verb} ${resource}: ${await can(verb!, resource!)}`).toBe(`${verb} ${resource}: yes`);
    }
    for (const [verb, resource] of [
      ['create', 'pods'],
      ['create', 'pods/exec'],
      ['patch', 'likepipelines.likepipe.io'],
      ['delete', 'namespaces'],
      ['create', 'clusterroles.rbac.authorization.k8s.io'],
      ['patch', 'nodes'],
    ]) {
      expect(`${verb} ${resource}: ${await can(verb!, resource!)}`).toBe(`${verb} ${resource}: no`);
    }
  });

  test('every example passes a server-side dry run', async () => {
    const examples = readdirSync(`${CHART}/examples`).filter((f) => f.endsWith('.yaml'));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const f of examples) {
      const r = await kubectlResult(['apply', '--dry-run=server', '-n', ns, '-f', `${CHART}/examples/${f}`]);
      expect({ f, code: r.code, err: r.stderr }).toEqual({ f, code: 0, err: '' });
    }
  });
});

describe('LikePipeline CRD', () => {
  test('installed with its short name, printer columns and status subresource', async () => {
    const crd = (await getJson('crd', 'likepipelines.likepipe.io'))!;
    expect(crd.spec.names.shortNames).toEqual(['lp']);
    const version = (crd.spec.versions as Obj[]).find((v) => v.name === 'v1alpha1')!;
    expect(version.subresources).toEqual({ status: {} });
    expect((version.additionalPrinterColumns as Obj[]).map((c) => c.name)).toEqual([
      'Ready',
      'Phase',
      'API',
      'Partitions',
      'Reason',
      'Age',
    ]);
  });

  const reject = async (spec: Obj) => {
    const lp = {
      apiVersion: 'likepipe.io/v1alpha1',
      kind: 'LikePipeline',
      metadata: { name: uniqueName('bad'), namespace: ns },
      spec,
    };
    const r = await kubectlResult(['apply', '-f', '-'], JSON.stringify(lp));
    expect(r.code).not.toBe(0);
    return r.stderr;
  };
  const jwt = { jwtSecretRef: { name: 'jwt' } };

  test.each([
    ['a missing api section', {}, 'spec.api: Required value'],
    ['a missing JWT secret reference', { api: {} }, 'spec.api.jwtSecretRef: Required value'],
    [
      'too few Redis shards',
      { api: jwt, redis: { shards: 2 } },
      'spec.redis.shards: Invalid value: 2: spec.redis.shards in body should be greater than or equal to 3',
    ],
    [
      'an unknown eviction policy',
      { api: jwt, redis: { evictionPolicy: 'lru' } },
      'spec.redis.evictionPolicy: Unsupported value: "lru"',
    ],
    [
      'an unknown Kafka mode',
      { api: jwt, kafka: { mode: 'kinesis' } },
      'spec.kafka.mode: Unsupported value: "kinesis"',
    ],
    [
      'min above max API replicas',
      { api: { ...jwt, minReplicas: 5, maxReplicas: 2 } },
      'api.minReplicas must not exceed api.maxReplicas',
    ],
    [
      'external Kafka without brokers',
      { api: jwt, kafka: { mode: 'external' } },
      'kafka.external is required when kafka.mode is external',
    ],
    [
      'min ISR above the replication factor',
      { api: jwt, kafka: { brokers: 3, replicationFactor: 2, minInSyncReplicas: 3 } },
      'kafka.minInSyncReplicas must not exceed kafka.replicationFactor',
    ],
    [
      'min ISR above the replication factor derived from the brokers',
      { api: jwt, kafka: { brokers: 2, minInSyncReplicas: 3 } },
      'kafka.minInSyncReplicas must not exceed kafka.replicationFactor',
    ],
    [
      "min ISR above external mode's default replication factor",
      { api: jwt, kafka: { mode: 'external', external: { bootstrapServers: ['k:9092'] }, minInSyncReplicas: 2 } },
      'kafka.minInSyncReplicas must not exceed kafka.replicationFactor',
    ],
    [
      'a replication factor above the brokers',
      { api: jwt, kafka: { brokers: 1, replicationFactor: 3 } },
      'kafka.replicationFactor must not exceed kafka.brokers',
    ],
    [
      'several builtin Postgres instances',
      { api: jwt, postgres: { instances: 3 } },
      'postgres.instances above 1 needs postgres.mode cnpg',
    ],
    [
      'an external URL in builtin mode',
      { api: jwt, postgres: { external: { urlSecretRef: { name: 'x' } } } },
      'postgres.external may only be set when postgres.mode is external',
    ],
    [
      'consumer min above max',
      { api: jwt, consumers: { truthWriter: { minReplicas: 4, maxReplicas: 2 } } },
      'consumers.truthWriter.minReplicas must not exceed consumers.truthWriter.maxReplicas',
    ],
    [
      'a bad host:port',
      { api: jwt, redis: { mode: 'external', external: { nodes: ['no-port'] } } },
      'spec.redis.external.nodes[0]: Invalid value: "no-port"',
    ],
  ])('rejects %s', async (_what, spec, message) => {
    expect(await reject(spec)).toContain(message);
  });

  test.each([
    ['three brokers and no replication fields', { brokers: 3 }],
    ['min ISR 3 within the factor three brokers derive', { brokers: 3, minInSyncReplicas: 3 }],
    ['an explicit factor below the brokers', { brokers: 3, replicationFactor: 2 }],
    [
      'external mode with its own factor',
      { mode: 'external', external: { bootstrapServers: ['k:9092'] }, replicationFactor: 3, minInSyncReplicas: 2 },
    ],
  ])('accepts %s, filling in no replication default', async (_what, kafka) => {
    const lp = {
      apiVersion: 'likepipe.io/v1alpha1',
      kind: 'LikePipeline',
      metadata: { name: uniqueName('ok'), namespace: ns },
      spec: { api: jwt, kafka },
    };
    const r = await kubectlResult(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(lp));
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    const stored = (JSON.parse(r.stdout) as Obj).spec.kafka as Obj;
    expect({
      replicationFactor: stored.replicationFactor as unknown,
      minInSyncReplicas: stored.minInSyncReplicas as unknown,
    }).toEqual({
      replicationFactor: (kafka as Obj).replicationFactor as unknown,
      minInSyncReplicas: (kafka as Obj).minInSyncReplicas as unknown,
    });
  });

  test('rejected specs leave nothing behind', async () => {
    const list = JSON.parse(await kubectl('get', 'lp', '-n', ns, '-o', 'json'));
    expect(list.items).toEqual([]);
  });
});
