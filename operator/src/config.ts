import { hostname } from 'node:os';
import { OPERATOR_PORT, parseEnv } from '@likepipe/contract';
import { z } from 'zod';

const ms = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');
const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a Kubernetes name');

/** Operator configuration from the environment, checked once at start; a bad value names the variable. */
const schema = z
  .object({
    LIKEPIPE_OPERATOR_NAMESPACE: k8sName.optional(),
    POD_NAMESPACE: k8sName.optional(),
    LIKEPIPE_WATCH_NAMESPACE: k8sName.optional(),
    LIKEPIPE_OPERATOR_HOST: z.string().default('127.0.0.1'),
    LIKEPIPE_OPERATOR_PORT: z.coerce.number().int().min(0).max(65535).default(OPERATOR_PORT),
    LIKEPIPE_OPERATOR_ID: z.string().min(1).max(128).default(`${hostname()}-${process.pid}`),
    LIKEPIPE_LEADER_ELECTION: bool(true),
    LIKEPIPE_LEASE_NAME: k8sName.default('likepipe-operator'),
    LIKEPIPE_LEASE_DURATION_MS: ms(15_000, 1_000, 300_000),
    LIKEPIPE_RENEW_DEADLINE_MS: ms(10_000, 500, 300_000),
    LIKEPIPE_RETRY_PERIOD_MS: ms(2_000, 100, 60_000),
    LIKEPIPE_RESYNC_MS: ms(300_000, 1_000, 86_400_000),
    LIKEPIPE_WATCHDOG_MS: ms(600_000, 5_000, 86_400_000),
    LIKEPIPE_WORKERS: z.coerce.number().int().min(1).max(64).default(4),
    LIKEPIPE_PROBLEM_REQUEUE_MS: ms(15_000, 100, 3_600_000),
    LIKEPIPE_BACKOFF_BASE_MS: ms(500, 10, 60_000),
    LIKEPIPE_BACKOFF_MAX_MS: ms(300_000, 100, 3_600_000),
    LIKEPIPE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .refine((c) => c.LIKEPIPE_RENEW_DEADLINE_MS < c.LIKEPIPE_LEASE_DURATION_MS, {
    path: ['LIKEPIPE_RENEW_DEADLINE_MS'],
    message: 'must be shorter than LIKEPIPE_LEASE_DURATION_MS',
  });

export type OperatorConfig = z.output<typeof schema> & { leaseNamespace: string };

/** Throws the contract's ConfigError, naming every bad variable, as the pipeline's roles do. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const c = parseEnv(schema, env);
  return { ...c, leaseNamespace: c.LIKEPIPE_OPERATOR_NAMESPACE ?? c.POD_NAMESPACE ?? 'default' };
}
