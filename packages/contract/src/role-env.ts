import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { API_PORT, DEFAULT_TOPIC, WORKER_METRICS_PORTS } from './ports.js';
import type { Role } from './roles.js';

/**
 * Every environment variable of every role: its name, default and bounds, once. The pipeline parses its
 * configuration with these schemas; the operator writes pod environments through `roleEnv`, whose keys are
 * these schemas' keys, so renaming a variable here breaks the build of both; the README's configuration table
 * and the shell scripts' defaults are checked against them by tests.
 */
const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expected host:port');
const list = (item: z.ZodString) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1, 'expected at least one host:port'));

const logLevel = z.enum(['debug', 'info', 'warn', 'error']).default('info');
const topic = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/)
  .default(DEFAULT_TOPIC);
const databaseUrl = z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL');

/** Where the three layers are: every role that touches them reads these. */
const data = {
  REDIS_CLUSTER_NODES: list(hostPort),
  KAFKA_BROKERS: list(hostPort),
  DATABASE_URL: databaseUrl,
  LIKEPIPE_KAFKA_TOPIC: topic,
  LIKEPIPE_LOG_LEVEL: logLevel,
};

/** Worker roles' /metrics, /healthz, /readyz: loopback on a laptop, 0.0.0.0 in a pod (the operator sets it). */
const metricsListener = (port: number) => ({
  LIKEPIPE_METRICS_PORT: int(port, 0, 65535),
  LIKEPIPE_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

/** Consumers write one transaction per flush: after this long, or sooner at this many events. */
const consumer = (port: number) => ({
  ...data,
  ...metricsListener(port),
  LIKEPIPE_FLUSH_INTERVAL_MS: int(1_000, 10, 600_000),
  LIKEPIPE_BATCH_SIZE: int(5_000, 1, 1_000_000),
  LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS: int(30_000, 6_000, 300_000),
  LIKEPIPE_CONSUMER_STALL_TIMEOUT_MS: int(60_000, 5_000, 3_600_000),
});

const likeApi = z.object({
  ...data,
  LIKEPIPE_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256 key)'),
  LIKEPIPE_API_HOST: z.string().default('127.0.0.1'),
  LIKEPIPE_API_PORT: int(API_PORT, 1, 65535),
  LIKEPIPE_API_WORKERS: int(availableParallelism(), 1, 256),
  LIKEPIPE_RATE_LIMIT: int(100, 1, 100_000),
  LIKEPIPE_RATE_WINDOW_MS: int(60_000, 1_000, 86_400_000),
  LIKEPIPE_IDEMPOTENCY_TTL_S: int(86_400, 60, 7 * 86_400),
  LIKEPIPE_PRODUCER_LINGER_MS: int(2, 0, 1_000),
  LIKEPIPE_PRODUCER_MAX_BATCH: int(1_000, 1, 100_000),
  LIKEPIPE_PRODUCER_MAX_QUEUED: int(50_000, 1, 10_000_000),
  LIKEPIPE_PRODUCER_TIMEOUT_MS: int(5_000, 100, 120_000),
  /** Producer batches in flight at once; batches never share a (post, user) key, so each key stays in order. */
  LIKEPIPE_PRODUCER_MAX_IN_FLIGHT: int(4, 1, 64),
  LIKEPIPE_REDIS_TIMEOUT_MS: int(1_000, 10, 60_000),
  LIKEPIPE_BENCH_ENDPOINTS: bool(false),
  /**
   * After SIGTERM, how long the API keeps serving while /readyz already says 503, before it stops accepting:
   * the time a load balancer (a Service's endpoints, kube-proxy) needs to stop sending new connections.
   */
  LIKEPIPE_SHUTDOWN_DELAY_MS: int(5_000, 0, 60_000),
  /** How long each API process reuses the feed-ranker's candidate snapshot before reading Redis again. */
  LIKEPIPE_FEED_CACHE_MS: int(1_000, 1, 60_000),
  /** GET /api/posts/{id}/count: how long a count is served from memory, and how many posts are held. */
  LIKEPIPE_COUNT_CACHE_TTL_MS: int(500, 1, 60_000),
  LIKEPIPE_COUNT_CACHE_MAX: int(100_000, 1, 10_000_000),
  /**
   * Likes+unlikes per second on one post (counted in its Redis slot, across every replica) that split it over
   * LIKEPIPE_HOT_POST_SHARDS sub-slots, so one viral post's writes spread over that many masters. 0 = never.
   */
  LIKEPIPE_HOT_POST_SPLIT_RATE: int(2_000, 0, 10_000_000),
  LIKEPIPE_HOT_POST_SHARDS: int(8, 2, 1_024),
  LIKEPIPE_FEED_RECENCY_HALF_LIFE_MS: int(6 * 3_600_000, 60_000, 30 * 86_400_000),
});

const truthWriter = z.object(consumer(WORKER_METRICS_PORTS['truth-writer']));
const analytics = z.object(consumer(WORKER_METRICS_PORTS.analytics));

const notifier = z.object({
  ...consumer(WORKER_METRICS_PORTS.notifier),
  /** Likes of one post within this window become one notification. */
  LIKEPIPE_NOTIFY_WINDOW_MS: int(60_000, 1_000, 86_400_000),
  LIKEPIPE_NOTIFY_WEBHOOK_URL: z
    .string()
    .optional()
    .transform((v) => v || undefined)
    .pipe(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional()),
  LIKEPIPE_NOTIFY_PUSH_INTERVAL_MS: int(1_000, 50, 60_000),
  LIKEPIPE_NOTIFY_PUSH_TIMEOUT_MS: int(5_000, 100, 60_000),
  LIKEPIPE_NOTIFY_RETRY_BASE_MS: int(1_000, 10, 3_600_000),
  LIKEPIPE_NOTIFY_RETRY_MAX_MS: int(300_000, 10, 86_400_000),
});

const feedRanker = z.object({
  ...consumer(WORKER_METRICS_PORTS['feed-ranker']),
  /** How often the candidate snapshot is recomputed and published. */
  LIKEPIPE_FEED_REFRESH_MS: int(2_000, 100, 600_000),
  /** The candidate set's bounds: this many hottest posts by velocity plus this many newest posts. */
  LIKEPIPE_FEED_HOT_CANDIDATES: int(500, 1, 100_000),
  LIKEPIPE_FEED_NEW_CANDIDATES: int(200, 0, 100_000),
});

const reconciler = z.object({
  ...data,
  ...metricsListener(WORKER_METRICS_PORTS.reconciler),
  LIKEPIPE_RECONCILE_INTERVAL_MS: int(5_000, 100, 3_600_000),
  LIKEPIPE_RECONCILE_SWEEP_SIZE: int(500, 1, 100_000),
  /** A split post whose count stood still this long (and matches the caught-up truth) goes back to one slot. */
  LIKEPIPE_HOT_POST_COLD_MS: int(60_000, 0, 86_400_000),
});

const migrate = z.object({ DATABASE_URL: databaseUrl, LIKEPIPE_LOG_LEVEL: logLevel });

const ensureTopic = z
  .object({
    KAFKA_BROKERS: data.KAFKA_BROKERS,
    LIKEPIPE_KAFKA_TOPIC: topic,
    LIKEPIPE_LOG_LEVEL: logLevel,
    LIKEPIPE_KAFKA_PARTITIONS: int(12, 1, 10_000),
    LIKEPIPE_KAFKA_REPLICATION_FACTOR: int(1, 1, 32_767),
    LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS: int(1, 1, 32_767),
    LIKEPIPE_ENSURE_TOPIC_TIMEOUT_MS: int(120_000, 100, 3_600_000),
  })
  .superRefine((c, ctx) => {
    // More in-sync replicas than replicas would make every acks=all produce fail.
    if (c.LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS > c.LIKEPIPE_KAFKA_REPLICATION_FACTOR) {
      ctx.addIssue({
        code: 'custom',
        path: ['LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS'],
        message: `must be at most LIKEPIPE_KAFKA_REPLICATION_FACTOR (${c.LIKEPIPE_KAFKA_REPLICATION_FACTOR})`,
      });
    }
  });

const redisClusterKeeper = z
  .object({
    LIKEPIPE_LOG_LEVEL: logLevel,
    ...metricsListener(WORKER_METRICS_PORTS['redis-cluster-keeper']),
    /** Every pod of the StatefulSet, in ordinal order: the position is the ordinal. */
    LIKEPIPE_REDIS_NODES: list(hostPort),
    LIKEPIPE_REDIS_SHARDS: int(3, 3, 1_000),
    LIKEPIPE_REDIS_REPLICAS_PER_SHARD: int(1, 0, 10),
    // An empty value (a Secret key set to "") means no password, as when it is unset.
    LIKEPIPE_REDIS_PASSWORD: z
      .string()
      .optional()
      .transform((v) => v || undefined),
    LIKEPIPE_KEEPER_INTERVAL_MS: int(10_000, 100, 3_600_000),
    LIKEPIPE_KEEPER_ONCE: bool(false),
    LIKEPIPE_KEEPER_FORGET_AFTER_PASSES: int(3, 0, 1_000),
  })
  .superRefine((c, ctx) => {
    const expected = c.LIKEPIPE_REDIS_SHARDS * (1 + c.LIKEPIPE_REDIS_REPLICAS_PER_SHARD);
    if (c.LIKEPIPE_REDIS_NODES.length !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['LIKEPIPE_REDIS_NODES'],
        message:
          `lists ${c.LIKEPIPE_REDIS_NODES.length} nodes, but LIKEPIPE_REDIS_SHARDS × (1 + ` +
          `LIKEPIPE_REDIS_REPLICAS_PER_SHARD) = ${expected}`,
      });
    }
    if (new Set(c.LIKEPIPE_REDIS_NODES).size !== c.LIKEPIPE_REDIS_NODES.length) {
      ctx.addIssue({ code: 'custom', path: ['LIKEPIPE_REDIS_NODES'], message: 'lists a node twice' });
    }
  });

export const ROLE_ENV = {
  'like-api': likeApi,
  'truth-writer': truthWriter,
  analytics,
  notifier,
  'feed-ranker': feedRanker,
  reconciler,
  migrate,
  'ensure-topic': ensureTopic,
  'redis-cluster-keeper': redisClusterKeeper,
} as const satisfies Record<Role, z.ZodType>;

/** The parsed configuration of a role. */
export type RoleConfig<R extends Role> = z.output<(typeof ROLE_ENV)[R]>;
/** The names of a role's environment variables. */
export type RoleEnvName<R extends Role> = keyof z.input<(typeof ROLE_ENV)[R]> & string;

/** A role's variables, their defaults (undefined: required or unset) and whether they are required, by name. */
export function describeRoleEnv(role: Role): { name: string; default: unknown; required: boolean }[] {
  const schema = ROLE_ENV[role];
  return Object.entries(schema.shape).map(([name, field]) => {
    const f = field as z.ZodType;
    const parsed = f.safeParse(undefined);
    return { name, default: parsed.success ? parsed.data : undefined, required: !parsed.success };
  });
}
