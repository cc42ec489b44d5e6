import { DEFAULT_TOPIC } from '@likepipe/contract';
import { DEFAULT_RUNBOOK_BASE_URL } from '@likepipe/monitoring';
import {
  DERIVED_REPLICATION_FACTOR_CAP,
  DURABLE_MIN_INSYNC_REPLICAS,
  EXTERNAL_DEFAULT_REPLICATION_FACTOR,
} from '../desired/kafka-replication.js';
import { roleDefault } from './role-default.js';
import type { CelRule, JsonSchema } from './schema.js';
import { GROUP, KIND, PLURAL, VERSION } from './types.js';

/**
 * The LikePipeline CustomResourceDefinition, built here so the schema pieces that repeat (resources, storage,
 * secret references, autoscaled consumers) are written once. `npm run gen:crd` writes it to the Helm chart;
 * a test fails if the committed file and this function disagree. Messages are written for the person whose
 * `kubectl apply` was rejected: they name the field and say what is allowed.
 *
 * This schema is the only description of the resource: api/types.ts derives the operator's TypeScript types
 * from it (FromSchema, api/schema.ts). The helpers below therefore keep every literal the mapper reads (`type`,
 * `enum`, `required`, whether there is a `default`) in their return types.
 */
type Props = { readonly [name: string]: JsonSchema };
/** No extra keywords (`{}` as a type would admit any value). */
type NoExtra = Record<never, never>;

interface IntSchema {
  readonly type: 'integer';
  readonly format: 'int32';
  readonly minimum: number;
  readonly maximum: number;
  readonly description: string;
}
function int(description: string, min: number, max: number): IntSchema;
function int(description: string, min: number, max: number, def: number): IntSchema & { readonly default: number };
function int(description: string, min: number, max: number, def?: number): IntSchema {
  return {
    type: 'integer',
    format: 'int32',
    minimum: min,
    maximum: max,
    description,
    ...(def === undefined ? {} : { default: def }),
  };
}
const str = <const E extends JsonSchema = NoExtra>(
  description: string,
  extra: E = {} as E,
): { readonly type: 'string'; readonly description: string } & NoInfer<E> => ({
  type: 'string',
  description,
  ...extra,
});
const bool = (description: string, def: boolean) =>
  ({ type: 'boolean', description, default: def }) as const satisfies JsonSchema;
const obj = <const P extends Props, const E extends JsonSchema = NoExtra>(
  description: string,
  properties: P,
  extra: E = {} as E,
): { readonly type: 'object'; readonly description: string; readonly properties: NoInfer<P> } & NoInfer<E> => ({
  type: 'object',
  description,
  properties,
  ...extra,
});
const rule = (rule: string, message: string, extra: { fieldPath?: string } = {}): CelRule => ({
  rule,
  message,
  ...extra,
});

/**
 * kafka.replicationFactor as the operator uses it (desired/kafka-replication.ts): as set, else derived from the
 * mode and brokers. A CEL expression over the kafka object, so a rule can hold an explicit minInSyncReplicas
 * to the factor the topic will really get.
 */
const KAFKA_EFFECTIVE_RF =
  `(has(self.replicationFactor) ? self.replicationFactor : ` +
  `(self.mode == 'external' ? ${EXTERNAL_DEFAULT_REPLICATION_FACTOR} : ` +
  `(self.brokers < ${DERIVED_REPLICATION_FACTOR_CAP} ? self.brokers : ${DERIVED_REPLICATION_FACTOR_CAP})))`;

const IMAGE = { maxLength: 512, pattern: '^[a-z0-9][a-z0-9._/:@-]*$' };
/**
 * The tag of the project's images, the repository's version: the pipeline's (apps/pipeline/Dockerfile) and the
 * data stores' (images/<name>/Dockerfile: binaries only, the operator owns their commands and configuration).
 */
export const IMAGE_VERSION = '0.1.0';
const projectImage = (name: 'pipeline' | 'redis' | 'kafka' | 'postgres') => `likepipe/${name}:${IMAGE_VERSION}`;
const HOST_PORT = { maxLength: 253, pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$' };
const DNS_NAME = { maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' };
const QUANTITY = {
  'x-kubernetes-int-or-string': true,
  anyOf: [{ type: 'integer' }, { type: 'string' }],
} as const satisfies JsonSchema;

const resources = (who: string) =>
  obj(`CPU and memory for ${who} (a core/v1 ResourceRequirements: requests and limits).`, {
    requests: { type: 'object', additionalProperties: QUANTITY, maxProperties: 8 },
    limits: { type: 'object', additionalProperties: QUANTITY, maxProperties: 8 },
  });

const storage = (who: string, def: string) =>
  obj(
    `Persistent volume for ${who}.`,
    {
      size: str('Requested size, a Kubernetes quantity such as 1Gi.', {
        default: def,
        maxLength: 32,
        pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$',
      }),
      storageClassName: str('StorageClass of the volume; the cluster default when unset.', DNS_NAME),
    },
    { default: {} },
  );

const secretKeyRef = (description: string, defaultKey: string) =>
  obj(
    description,
    {
      name: str('Name of a Secret in the LikePipeline namespace.', DNS_NAME),
      key: str('Key inside the Secret.', { default: defaultKey, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$' }),
    },
    { required: ['name'] },
  );

const replicasRule = (path: string): CelRule =>
  rule('self.minReplicas <= self.maxReplicas', `${path}.minReplicas must not exceed ${path}.maxReplicas`);

const lagConsumer = <const X extends Props>(path: string, what: string, enabled: boolean, extra: X) =>
  obj(
    `${what} Scales on Kafka consumer lag between minReplicas and maxReplicas, and never past kafka.partitions ` +
      '(a consumer group cannot use more members than partitions).',
    {
      enabled: bool('Run this role.', enabled),
      minReplicas: int('Fewest replicas.', 0, 1000, 1),
      maxReplicas: int('Most replicas; capped at kafka.partitions.', 1, 1000, 6),
      lagTarget: int('Consumer lag (events) per replica the autoscaler aims for.', 1, 10_000_000, 1000),
      flushIntervalMs: int(
        'Longest time an event waits before the Postgres transaction that writes it (one per flush).',
        50,
        60_000,
        // Every consumer role has the same flush defaults.
        roleDefault('truth-writer', 'LIKEPIPE_FLUSH_INTERVAL_MS'),
      ),
      batchSize: int(
        'Events that trigger a flush before the interval ends.',
        1,
        100_000,
        roleDefault('truth-writer', 'LIKEPIPE_BATCH_SIZE'),
      ),
      resources: resources(`each ${path} pod`),
      ...extra,
    },
    { default: {}, 'x-kubernetes-validations': [replicasRule(path)] },
  );

/** StatefulSet volume claim templates are immutable: say so at apply time instead of failing every reconcile. */
const storageFixed = (component: string): CelRule =>
  rule(
    "!(self.mode == 'builtin' && oldSelf.mode == 'builtin') || self.storage == oldSelf.storage",
    `${component}.storage cannot change once the builtin ${component} exists (StatefulSet volume claims are ` +
      'immutable): resize its PersistentVolumeClaims directly',
  );

const modeRules = (component: string, externalField: string, externalMode = 'external'): CelRule[] => [
  rule(
    `self.mode != '${externalMode}' || has(self.external)`,
    `${component}.external is required when ${component}.mode is ${externalMode}`,
  ),
  rule(
    `self.mode == '${externalMode}' || !has(self.external)`,
    `${component}.external may only be set when ${component}.mode is ${externalMode} (it would be ignored)`,
    { fieldPath: `.${externalField}` },
  ),
];

/**
 * Expands every `default: {}` into the object its properties' defaults make. The API server checks a default
 * against the CEL rules of its schema before nested defaults apply, so `{}` would fail `self.mode == ...`.
 */
function expandDefaults<S extends JsonSchema>(schema: S): S {
  const props = schema.properties;
  if (!props) return schema;
  const expanded: Record<string, JsonSchema> = {};
  for (const [k, v] of Object.entries(props)) expanded[k] = expandDefaults(v);
  const out: { -readonly [K in keyof JsonSchema]: JsonSchema[K] } = { ...schema, properties: expanded };
  const def = schema.default;
  if (def && typeof def === 'object' && !Array.isArray(def) && Object.keys(def).length === 0) {
    const filled: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(expanded)) if (v.default !== undefined) filled[k] = v.default;
    out.default = filled;
  }
  // The same shape with the same keys: only `default` values got filled in.
  return out as S;
}

export const specSchema = expandDefaults(
  obj(
    'Desired state of one like pipeline: its data stores and the roles of the pipeline image.',
    {
      image: str('The pipeline image; every role runs it with a different command.', {
        ...IMAGE,
        default: projectImage('pipeline'),
      }),
      imagePullPolicy: str('Pull policy for the pipeline image.', {
        enum: ['Always', 'IfNotPresent', 'Never'],
        default: 'IfNotPresent',
      }),
      imagePullSecrets: {
        type: 'array',
        description: 'Secrets for pulling images from a private registry.',
        maxItems: 8,
        items: obj('', { name: str('Secret name.', DNS_NAME) }, { required: ['name'] }),
      },
      redis: obj(
        'The speed layer: a Redis Cluster (counters, dedup sets, rate limits, idempotency keys).',
        {
          mode: str('builtin runs a Redis Cluster as a StatefulSet; external uses your nodes.', {
            enum: ['builtin', 'external'],
            default: 'builtin',
          }),
          shards: int(
            'Masters (hash-slot shards). Redis Cluster needs at least 3.',
            3,
            32,
            roleDefault('redis-cluster-keeper', 'LIKEPIPE_REDIS_SHARDS'),
          ),
          replicasPerShard: int(
            'Replicas of each master, promoted when it fails.',
            0,
            3,
            roleDefault('redis-cluster-keeper', 'LIKEPIPE_REDIS_REPLICAS_PER_SHARD'),
          ),
          maxmemory: str('Memory cap per node (Redis syntax), after which keys are evicted by evictionPolicy.', {
            default: '256mb',
            maxLength: 16,
            pattern: '^[0-9]+(kb|mb|gb)$',
          }),
          evictionPolicy: str('What Redis evicts at maxmemory; the LRU policies keep hot posts and drop cold ones.', {
            enum: [
              'allkeys-lru',
              'allkeys-lfu',
              'allkeys-random',
              'volatile-lru',
              'volatile-lfu',
              'volatile-random',
              'volatile-ttl',
              'noeviction',
            ],
            default: 'allkeys-lru',
          }),
          image: str(
            'Redis image for builtin mode: Redis 7.0 or later with redis-server and redis-cli on PATH (the official ' +
              'redis image works too). The operator gives the command and runs it as UID 999.',
            { ...IMAGE, default: projectImage('redis') },
          ),
          storage: storage('each Redis node (AOF and nodes.conf)', '1Gi'),
          resources: resources('each Redis node'),
          external: obj(
            'Your own Redis Cluster, for mode external.',
            {
              nodes: {
                type: 'array',
                description: 'Seed nodes as host:port; the client discovers the rest.',
                minItems: 1,
                maxItems: 64,
                items: str('host:port', HOST_PORT),
              },
            },
            { required: ['nodes'] },
          ),
        },
        { default: {}, 'x-kubernetes-validations': [...modeRules('redis', 'external'), storageFixed('redis')] },
      ),
      kafka: obj(
        'The buffer layer: the like-events topic every like is durable in before the API answers.',
        {
          mode: str(
            'builtin runs Kafka in KRaft mode as a StatefulSet; strimzi creates Strimzi Kafka, KafkaNodePool and ' +
              'KafkaTopic resources (needs the Strimzi operator); external uses your brokers.',
            { enum: ['builtin', 'strimzi', 'external'], default: 'builtin' },
          ),
          brokers: int('Brokers for builtin and strimzi modes.', 1, 9, 1),
          partitions: {
            ...int(
              'Partitions of the like-events topic: the ceiling on consumer replicas. Can grow, never shrink.',
              1,
              1024,
              roleDefault('ensure-topic', 'LIKEPIPE_KAFKA_PARTITIONS'),
            ),
            'x-kubernetes-validations': [
              rule('self >= oldSelf', 'kafka.partitions cannot be decreased: Kafka cannot remove partitions'),
            ],
          },
          // No schema default: the default depends on brokers and mode, so the operator derives it.
          replicationFactor: int(
            'Copies of every partition. Unset: in builtin and strimzi modes the brokers, up to ' +
              `${DERIVED_REPLICATION_FACTOR_CAP} (brokers: 3 gives ${DERIVED_REPLICATION_FACTOR_CAP} copies); in ` +
              `external mode ${EXTERNAL_DEFAULT_REPLICATION_FACTOR}, since the operator cannot see your brokers: set it ` +
              `(${DERIVED_REPLICATION_FACTOR_CAP} on three or more brokers). At most kafka.brokers in builtin and ` +
              'strimzi modes. Only a new topic gets it: ensure-topic does not reassign partitions.',
            1,
            5,
          ),
          minInSyncReplicas: int(
            'Copies that must have a like before it counts as durable (the producer always uses acks=all). ' +
              `Unset: ${DURABLE_MIN_INSYNC_REPLICAS} when the replication factor is ${DERIVED_REPLICATION_FACTOR_CAP} ` +
              'or more, else 1. At most the replication factor, as set or derived.',
            1,
            5,
          ),
          topic: str('Topic name.', { default: DEFAULT_TOPIC, maxLength: 249, pattern: '^[A-Za-z0-9._-]+$' }),
          image: str(
            'Kafka image for builtin mode: java (17 or later) on PATH and the jars of Kafka 4.x in /opt/kafka/libs ' +
              '(the official apache/kafka 4.x image works too). The operator renders the configuration and the ' +
              'start script and runs it as UID 1000.',
            { ...IMAGE, default: projectImage('kafka') },
          ),
          storage: storage('each broker', '5Gi'),
          resources: resources('each broker'),
          external: obj(
            'Your own Kafka, for mode external.',
            {
              bootstrapServers: {
                type: 'array',
                description: 'Bootstrap brokers as host:port.',
                minItems: 1,
                maxItems: 32,
                items: str('host:port', HOST_PORT),
              },
            },
            { required: ['bootstrapServers'] },
          ),
          strimzi: obj('Settings passed to Strimzi in strimzi mode.', {
            version: str('Kafka version for Strimzi to run; Strimzi picks its default when unset.', {
              maxLength: 16,
              pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$',
            }),
          }),
        },
        {
          default: {},
          'x-kubernetes-validations': [
            ...modeRules('kafka', 'external'),
            storageFixed('kafka'),
            rule(
              `!has(self.minInSyncReplicas) || self.minInSyncReplicas <= ${KAFKA_EFFECTIVE_RF}`,
              'kafka.minInSyncReplicas must not exceed kafka.replicationFactor (as set, or as derived when unset), ' +
                'or no write could ever succeed',
            ),
            rule(
              "self.mode == 'external' || !has(self.replicationFactor) || self.replicationFactor <= self.brokers",
              'kafka.replicationFactor must not exceed kafka.brokers',
            ),
            rule(
              "self.mode == 'strimzi' || !has(self.strimzi)",
              'kafka.strimzi may only be set when kafka.mode is strimzi',
            ),
          ],
        },
      ),
      postgres: obj(
        'The truth layer: likes rows and per-post counts, written only in batches by the truth-writer.',
        {
          mode: str(
            'builtin runs one Postgres as a StatefulSet; cnpg creates a CloudNativePG Cluster (needs the ' +
              'CloudNativePG operator); external reads a connection URL from a Secret.',
            { enum: ['builtin', 'cnpg', 'external'], default: 'builtin' },
          ),
          instances: int('Postgres instances (more than one needs cnpg mode).', 1, 9, 1),
          database: str('Database name.', { default: 'likepipe', maxLength: 63, pattern: '^[a-z_][a-z0-9_]*$' }),
          image: str(
            'Postgres image for builtin mode: initdb, postgres, pg_isready and pg_ctl on PATH (the official postgres ' +
              'images work too) of the major version the data directory was made with (likepipe/postgres is 15). ' +
              'The operator runs initdb and the server itself, as UID 999.',
            { ...IMAGE, default: projectImage('postgres') },
          ),
          storage: storage('each Postgres instance', '5Gi'),
          resources: resources('each Postgres instance'),
          external: obj(
            'Your own Postgres, for mode external.',
            { urlSecretRef: secretKeyRef('Secret holding a postgres:// URL.', 'url') },
            { required: ['urlSecretRef'] },
          ),
        },
        {
          default: {},
          'x-kubernetes-validations': [
            ...modeRules('postgres', 'external'),
            storageFixed('postgres'),
            rule(
              "self.mode == 'cnpg' || self.instances == 1",
              'postgres.instances above 1 needs postgres.mode cnpg: builtin and external are one database',
            ),
          ],
        },
      ),
      api: obj(
        'The like-API: HTTP in front of the speed and buffer layers, autoscaled on CPU.',
        {
          image: str('Overrides spec.image for the API only (for canaries).', IMAGE),
          minReplicas: int('Fewest API replicas.', 1, 1000, 2),
          maxReplicas: int('Most API replicas.', 1, 1000, 10),
          targetCPUUtilization: int('Average CPU (percent of requests) the autoscaler aims for.', 10, 100, 70),
          rateLimit: obj(
            'Likes and unlikes allowed per user in a rolling window, exact across replicas.',
            {
              perUser: int('Actions per user per window.', 1, 100_000, roleDefault('like-api', 'LIKEPIPE_RATE_LIMIT')),
              windowSeconds: int(
                'Window length in seconds.',
                1,
                86_400,
                roleDefault('like-api', 'LIKEPIPE_RATE_WINDOW_MS') / 1000,
              ),
            },
            { default: {} },
          ),
          idempotencyTTLSeconds: int(
            'How long an Idempotency-Key is remembered.',
            60,
            604_800,
            roleDefault('like-api', 'LIKEPIPE_IDEMPOTENCY_TTL_S'),
          ),
          jwtSecretRef: secretKeyRef(
            'Secret holding the HS256 key (at least 32 characters) that verifies bearer tokens.',
            'jwt-secret',
          ),
          service: obj(
            'The Service in front of the API.',
            {
              type: str('Service type.', { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'], default: 'ClusterIP' }),
              port: int('Service port.', 1, 65_535, 80),
            },
            { default: {} },
          ),
          resources: resources('each API pod'),
        },
        { required: ['jwtSecretRef'], 'x-kubernetes-validations': [replicasRule('api')] },
      ),
      consumers: obj(
        'The Kafka consumer roles, one consumer group each.',
        {
          truthWriter: lagConsumer('consumers.truthWriter', 'Batch-writes likes and counts to Postgres.', true, {}),
          notifier: lagConsumer('consumers.notifier', 'Tells authors about likes, coalesced per post.', true, {
            windowSeconds: int(
              'Likes of one post within this many seconds become one notification.',
              1,
              86_400,
              roleDefault('notifier', 'LIKEPIPE_NOTIFY_WINDOW_MS') / 1000,
            ),
            webhookSecretRef: secretKeyRef(
              'Secret holding the URL that closed notifications are POSTed to (retried with backoff); none: no push.',
              'url',
            ),
          }),
          feedRanker: lagConsumer(
            'consumers.feedRanker',
            'Keeps like velocity and publishes the feed candidates GET /api/feed ranks.',
            true,
            {
              refreshMs: int(
                'Milliseconds between candidate snapshots.',
                100,
                600_000,
                roleDefault('feed-ranker', 'LIKEPIPE_FEED_REFRESH_MS'),
              ),
              hotCandidates: int(
                'Hottest posts (by likes in the last 10 minutes) kept as candidates.',
                1,
                100_000,
                roleDefault('feed-ranker', 'LIKEPIPE_FEED_HOT_CANDIDATES'),
              ),
              newCandidates: int(
                'Newest posts kept as candidates, liked or not.',
                0,
                100_000,
                roleDefault('feed-ranker', 'LIKEPIPE_FEED_NEW_CANDIDATES'),
              ),
            },
          ),
          analytics: lagConsumer('consumers.analytics', 'Writes per-minute like counts per post.', true, {}),
          reconciler: obj(
            'Repairs Redis counts from Postgres. Polls Postgres rather than Kafka, so it does not scale on lag.',
            {
              enabled: bool('Run the reconciler.', true),
              replicas: int('Replicas; one is enough, repairs are idempotent.', 0, 3, 1),
              intervalSeconds: int('Seconds between passes.', 1, 3600, 10),
              resources: resources('each reconciler pod'),
            },
            { default: {} },
          ),
        },
        { default: {} },
      ),
      podSecurityContext: {
        type: 'object',
        description: 'Pod security context for every pod (core/v1 PodSecurityContext); a restricted one when unset.',
        'x-kubernetes-preserve-unknown-fields': true,
      },
      securityContext: {
        type: 'object',
        description: 'Container security context for every container (core/v1 SecurityContext); restricted when unset.',
        'x-kubernetes-preserve-unknown-fields': true,
      },
      monitoring: obj(
        'Prometheus scraping and OpenTelemetry tracing.',
        {
          serviceMonitor: obj(
            'Create a Prometheus Operator ServiceMonitor for the API and consumers (needs its CRD).',
            {
              enabled: bool('Create the ServiceMonitor.', false),
              interval: str('Scrape interval.', { default: '30s', maxLength: 16, pattern: '^[0-9]+(ms|s|m)$' }),
              labels: {
                type: 'object',
                description: 'Extra labels, for a Prometheus serviceMonitorSelector.',
                maxProperties: 16,
                additionalProperties: { type: 'string', maxLength: 63 },
              },
            },
            { default: {} },
          ),
          prometheusRule: obj(
            "Create a Prometheus Operator PrometheusRule with this pipeline's SLI recording rules and alerts (SLO " +
              'burn rates and their causes, each linking a runbook); needs its CRD. Without the Prometheus Operator, ' +
              'load monitoring/prometheus/likepipe.rules.yaml of the repository into Prometheus instead.',
            {
              enabled: bool('Create the PrometheusRule.', false),
              labels: {
                type: 'object',
                description: 'Extra labels, for a Prometheus ruleSelector.',
                maxProperties: 16,
                additionalProperties: { type: 'string', maxLength: 63 },
              },
              runbookBaseURL: str(
                "Where the alerts' runbook_url points: this URL + /<runbook>.md (the repository's docs/runbooks by " +
                  'default; point it at your own copy).',
                { default: DEFAULT_RUNBOOK_BASE_URL, maxLength: 512, pattern: '^https?://[^\\s]+$' },
              ),
            },
            { default: {} },
          ),
          tracing: obj(
            'OpenTelemetry traces from every pipeline pod, exported over OTLP: one trace per like from the API ' +
              'through Kafka to each consumer. Off while otlpEndpoint is unset.',
            {
              otlpEndpoint: str(
                'Base URL of an OTLP receiver (an OpenTelemetry Collector, Jaeger, Tempo), e.g. ' +
                  'http://otel-collector.observability:4318; the pods set OTEL_EXPORTER_OTLP_ENDPOINT to it.',
                { maxLength: 512, pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' },
              ),
              protocol: str('OTLP transport: http/protobuf (port 4318), http/json, or grpc (port 4317).', {
                enum: ['http/protobuf', 'http/json', 'grpc'],
                default: 'http/protobuf',
              }),
              samplerRatio: {
                type: 'number',
                minimum: 0,
                maximum: 1,
                default: 1,
                description:
                  'Fraction of likes traced (parentbased_traceidratio): the API decides, every consumer follows.',
              },
            },
            { default: {} },
          ),
        },
        { default: {} },
      ),
      networkPolicies: obj(
        'NetworkPolicies so only the API and the consumers reach Redis, Kafka and Postgres.',
        { enabled: bool('Create the NetworkPolicies.', true) },
        { default: {} },
      ),
    },
    { required: ['api'] },
  ),
);

const condition = obj(
  'A metav1.Condition.',
  {
    type: str('Condition type.', { maxLength: 316 }),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    lastTransitionTime: str('When status last changed.', { format: 'date-time' }),
    reason: str('A CamelCase reason.', { maxLength: 1024 }),
    message: str('What is wrong, for a person.', { maxLength: 32_768 }),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

export const statusSchema = obj('Observed state, written by the operator.', {
  observedGeneration: { type: 'integer', format: 'int64', description: 'The generation the status describes.' },
  phase: str('Provisioning, Ready, Degraded or Failed.', { enum: ['Provisioning', 'Ready', 'Degraded', 'Failed'] }),
  conditions: {
    type: 'array',
    description: 'Ready, and RedisReady, KafkaReady, PostgresReady, ApiReady, ConsumersReady.',
    items: condition,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
  apiEndpoint: str('In-cluster URL of the like-API.'),
  apiReplicas: { type: 'integer', format: 'int32', description: 'Ready API pods.' },
  partitions: { type: 'integer', format: 'int32', description: 'Partitions of the like-events topic.' },
});

export function likePipelineCrd() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'likepipeline' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: 'likepipeline',
        shortNames: ['lp'],
        categories: ['likepipe'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'API', type: 'integer', description: 'Ready API pods', jsonPath: '.status.apiReplicas' },
            { name: 'Partitions', type: 'integer', jsonPath: '.spec.kafka.partitions' },
            {
              name: 'Reason',
              type: 'string',
              priority: 1,
              jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'LikePipeline runs the like pipeline: Redis Cluster, Kafka, Postgres, API and consumers.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: {
                  type: 'object',
                  // Names end up in DNS names of Services and StatefulSet pods, with suffixes like -redis-12.
                  properties: { name: { type: 'string', maxLength: 40 } },
                },
                spec: specSchema,
                status: statusSchema,
              },
            },
          },
        },
      ],
    },
  };
}
