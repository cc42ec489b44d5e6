import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { StackEnvError } from './errors/index.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The stack a run targets, from the env file `npm run up` writes (LIKEPIPE_ENV_FILE). */
export interface StackEnv {
  apiUrls: string[];
  databaseUrl: string;
  kafkaBrokers: string[];
  redisNodes: string[];
  jwtSecret: string;
  /** How often the reconciler repairs Redis from Postgres: the API's count may lag Postgres by this much. */
  reconcileIntervalMs: number;
}

export function readStackEnv(file: string, extraApiUrls: string[]): StackEnv {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new StackEnvError(`${file} is missing: start a stack with \`npm run up\` (or use \`npm run loadtest\`)`);
  }
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) vars.set(m[1]!, m[2]!);
  }
  const need = (name: string) => {
    const v = vars.get(name);
    if (!v) throw new StackEnvError(`${file} has no ${name}`);
    return v;
  };
  return {
    apiUrls: [need('LIKEPIPE_API_URL'), ...extraApiUrls],
    databaseUrl: need('DATABASE_URL'),
    kafkaBrokers: need('KAFKA_BROKERS').split(','),
    redisNodes: need('REDIS_CLUSTER_NODES').split(','),
    jwtSecret: need('LIKEPIPE_JWT_SECRET'),
    reconcileIntervalMs: Number(process.env.LIKEPIPE_RECONCILE_INTERVAL_MS ?? 5_000),
  };
}

/** Runs one of the stack scripts (scripts/stack/<name>.sh) with the caller's environment: the private stack's. */
export async function stackScript(name: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [`${ROOT}scripts/stack/${name}.sh`, ...args], {
    env: process.env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

export async function redisCli(port: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', port, ...args]);
  return stdout;
}
