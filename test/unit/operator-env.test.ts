import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { API_PORT, consumerGroup, isRole, POD_METRICS_PORT, ROLE_ENV, type Role } from '@likepipe/contract';
import { specSchema } from '@likepipe/operator/api/crd.js';
import type { JsonSchema } from '@likepipe/operator/api/schema.js';
import type { LikePipeline } from '@likepipe/operator/api/types.js';
import { desiredState, type KubeObject } from '@likepipe/operator/desired/index.js';
import { roleEnv, secretEnv } from '@likepipe/operator/desired/env.js';
import { EXAMPLES, examplePipeline, observedEverything } from '../support/likepipeline.js';

/**
 * The pipeline containers the operator writes are configured in the contract's terms: every container running
 * the pipeline image sets only variables its role reads (packages/contract/src/role-env.ts), and its
 * environment passes that role's own schema, as the role will parse it when the pod starts.
 */

/** OpenTelemetry's standard variables: the SDK reads them in every role; the contract does not describe them. */
const OTEL = new Set([
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_RESOURCE_ATTRIBUTES',
]);

/** What the kubelet would put in place of each secretKeyRef the operator writes: plausible values. */
const SECRET_VALUES: Record<string, string> = {
  DATABASE_URL: 'postgres://likepipe:secret@likes-postgres.prod.svc:5432/likepipe',
  LIKEPIPE_JWT_SECRET: 'k'.repeat(64),
  LIKEPIPE_NOTIFY_WEBHOOK_URL: 'https://push.example.com/likes',
};

function pipelineContainers(lp: LikePipeline, objects: KubeObject[]): { role: Role; container: V1Container }[] {
  const images = new Set([lp.spec.image, lp.spec.api.image].filter(Boolean));
  const out: { role: Role; container: V1Container }[] = [];
  for (const o of objects) {
    if (o.kind !== 'Deployment' && o.kind !== 'StatefulSet') continue;
    const pod = o.spec?.template.spec;
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      if (!images.has(container.image)) continue;
      const role = container.args?.[0] ?? '';
      if (!isRole(role)) throw new Error(`${o.kind}/${o.metadata.name}: ${container.name} runs no known role`);
      out.push({ role, container });
    }
  }
  return out;
}

function resolve(env: V1EnvVar[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.valueFrom?.secretKeyRef) {
      const value = SECRET_VALUES[e.name];
      if (value === undefined) throw new Error(`no plausible value for the secret variable ${e.name}`);
      out[e.name] = value;
    } else out[e.name] = e.value ?? '';
  }
  return out;
}

/** Sets every integer the spec holds to the CRD's `minimum` or `maximum` for it. */
function atBounds<T>(schema: JsonSchema, value: T, bound: 'minimum' | 'maximum'): T {
  if (!schema.properties || !value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  for (const [k, s] of Object.entries(schema.properties)) {
    if (s.type === 'integer' && s[bound] !== undefined && obj[k] !== undefined) obj[k] = s[bound];
    else atBounds(s, obj[k], bound);
  }
  return value;
}

const cases: [string, LikePipeline][] = [
  ...EXAMPLES.map((file): [string, LikePipeline] => [file, examplePipeline(file)]),
  [
    'production.yaml with tracing and a notification webhook',
    (() => {
      const lp = examplePipeline('production.yaml');
      lp.spec.monitoring.tracing.otlpEndpoint = 'http://otel-collector.observability:4318';
      lp.spec.consumers.notifier.webhookSecretRef = { name: 'push-webhook', key: 'url' };
      return lp;
    })(),
  ],
  // Whatever the CRD admits, the roles accept: its bounds sit inside the contract's.
  [
    'production.yaml, every integer at its CRD minimum',
    atBounds(specSchema, examplePipeline('production.yaml'), 'minimum'),
  ],
  [
    'small.yaml, every integer at its CRD maximum',
    (() => {
      const lp = atBounds(specSchema, examplePipeline('small.yaml'), 'maximum');
      lp.spec.postgres.mode = 'cnpg'; // a CEL rule: more than one Postgres instance needs cnpg
      return lp;
    })(),
  ],
];

describe("operator: pipeline containers speak the contract's environment", () => {
  test.each(cases)('%s: every pipeline container sets only its role’s variables, and they parse', (_name, lp) => {
    const { objects } = desiredState(lp, observedEverything(lp));
    const containers = pipelineContainers(lp, objects);
    expect(containers.length).toBeGreaterThan(0);
    for (const { role, container } of containers) {
      const env = resolve(container.env ?? []);
      const known = new Set(Object.keys(ROLE_ENV[role].shape));
      const unknown = Object.keys(env).filter((name) => !known.has(name) && !OTEL.has(name));
      expect({ container: container.name, unknown }).toEqual({ container: container.name, unknown: [] });
      const parsed = ROLE_ENV[role].safeParse(env);
      expect({ container: container.name, issues: parsed.error?.issues ?? [] }).toEqual({
        container: container.name,
        issues: [],
      });
    }
  });

  test('the examples cover every role the operator deploys', () => {
    const roles = new Set(
      cases.flatMap(([, lp]) => pipelineContainers(lp, desiredState(lp, observedEverything(lp)).objects)),
    );
    expect(new Set([...roles].map((r) => r.role))).toEqual(
      new Set([
        'like-api',
        'migrate',
        'ensure-topic',
        'truth-writer',
        'notifier',
        'feed-ranker',
        'analytics',
        'reconciler',
        'redis-cluster-keeper',
      ]),
    );
  });

  test("ports, consumer groups and the lag metric are the contract's", () => {
    const lp = examplePipeline('small.yaml');
    const { objects } = desiredState(lp, {
      ...observedEverything(lp),
      crds: { ...observedEverything(lp).crds, keda: false },
    });
    const containers = pipelineContainers(lp, objects);
    const api = containers.find((c) => c.role === 'like-api')!.container;
    expect(api.ports).toEqual([{ name: 'http', containerPort: API_PORT, protocol: 'TCP' }]);
    expect(resolve(api.env!).LIKEPIPE_API_PORT).toBe(String(API_PORT));
    for (const { role, container } of containers.filter((c) => c.role === 'truth-writer' || c.role === 'reconciler')) {
      expect({ role, ports: container.ports }).toEqual({
        role,
        ports: [{ name: 'metrics', containerPort: POD_METRICS_PORT, protocol: 'TCP' }],
      });
    }
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'likes-truth-writer');
    expect(hpa?.kind === 'HorizontalPodAutoscaler' && hpa.spec?.metrics?.[0]?.external?.metric).toEqual({
      name: 'likepipe_kafka_consumer_lag',
      selector: { matchLabels: { group: consumerGroup('truth-writer'), topic: 'like-events' } },
    });
  });

  test('roleEnv and secretEnv accept only the names of the role (checked by tsc -b)', () => {
    expect(roleEnv('reconciler', { LIKEPIPE_RECONCILE_INTERVAL_MS: 10_000, LIKEPIPE_LOG_LEVEL: 'debug' })).toEqual([
      { name: 'LIKEPIPE_RECONCILE_INTERVAL_MS', value: '10000' },
      { name: 'LIKEPIPE_LOG_LEVEL', value: 'debug' },
    ]);
    // @ts-expect-error -- the like-API has no flush interval: a variable of another role does not compile
    roleEnv('like-api', { LIKEPIPE_FLUSH_INTERVAL_MS: 1000 });
    // @ts-expect-error -- a misspelt variable does not compile
    roleEnv('truth-writer', { LIKEPIPE_FLUSH_INTERVALL_MS: 1000 });
    // @ts-expect-error -- with several roles, only the variables all of them read: the reconciler has no batch size
    roleEnv<'truth-writer' | 'reconciler'>('reconciler', { LIKEPIPE_BATCH_SIZE: 10 });
    // @ts-expect-error -- ensure-topic never reads the database URL
    secretEnv('ensure-topic', 'DATABASE_URL', { name: 'db', key: 'url' });
    expect(secretEnv('migrate', 'DATABASE_URL', { name: 'db', key: 'url' })).toEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'db', key: 'url' } },
    });
  });
});
