import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * Configuration comes from the environment, parsed once at start. A bad value stops the process with a
 * message naming the variable; secrets are never echoed.
 */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
}

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

const common = {
  REDIS_CLUSTER_NODES: list(hostPort),
  KAFKA_BROKERS: list(hostPort),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL'),
  LIKEPIPE_KAFKA_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/)
    .default('like-events'),
  LIKEPIPE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
};

const apiSchema = z.object({
  ...common,
  LIKEPIPE_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256 key)'),
  LIKEPIPE_API_HOST: z.string().default('127.0.0.1'),
  LIKEPIPE_API_PORT: int(8080, 1, 65535),
  LIKEPIPE_API_WORKERS: int(availableParallelism(), 1, 256),
  LIKEPIPE_RATE_LIMIT: int(100, 1, 100_000),
  LIKEPIPE_RATE_WINDOW_MS: int(60_000, 1_000, 86_400_000),
  LIKEPIPE_IDEMPOTENCY_TTL_S: int(86_400, 60, 7 * 86_400),
  LIKEPIPE_PRODUCER_LINGER_MS: int(2, 0, 1_000),
  LIKEPIPE_PRODUCER_MAX_BATCH: int(1_000, 1, 100_000),
  LIKEPIPE_PRODUCER_MAX_QUEUED: int(50_000, 1, 10_000_000),
  LIKEPIPE_PRODUCER_TIMEOUT_MS: int(5_000, 100, 120_000),
  LIKEPIPE_REDIS_TIMEOUT_MS: int(1_000, 10, 60_000),
  LIKEPIPE_BENCH_ENDPOINTS: bool(false),
});

const truthWriterSchema = z.object({
  ...common,
  LIKEPIPE_FLUSH_INTERVAL_MS: int(1_000, 10, 600_000),
  LIKEPIPE_BATCH_SIZE: int(5_000, 1, 1_000_000),
  LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS: int(30_000, 6_000, 300_000),
  LIKEPIPE_METRICS_PORT: int(9464, 0, 65535),
});

const reconcilerSchema = z.object({
  ...common,
  LIKEPIPE_RECONCILE_INTERVAL_MS: int(5_000, 100, 3_600_000),
  LIKEPIPE_RECONCILE_SWEEP_SIZE: int(500, 1, 100_000),
  LIKEPIPE_METRICS_PORT: int(9465, 0, 65535),
});

const migrateSchema = z.object({ DATABASE_URL: common.DATABASE_URL });

function parse<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const name = String(i.path[0] ?? '?');
    const given = env[name] === undefined ? 'is not set' : 'is invalid';
    return `  ${name} ${given}: ${i.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

export const loadApiConfig = (env = process.env) => parse(apiSchema, env);
export const loadTruthWriterConfig = (env = process.env) => parse(truthWriterSchema, env);
export const loadReconcilerConfig = (env = process.env) => parse(reconcilerSchema, env);
export const loadMigrateConfig = (env = process.env) => parse(migrateSchema, env);

export type ApiConfig = ReturnType<typeof loadApiConfig>;
export type TruthWriterConfig = ReturnType<typeof loadTruthWriterConfig>;
export type ReconcilerConfig = ReturnType<typeof loadReconcilerConfig>;
