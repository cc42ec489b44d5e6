import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createLogger, DEFAULT_TOPIC } from '@likepipe/contract';
import { compatibilityPartitioner, ProduceAcks, stringSerializers, type Admin } from '@platformatic/kafka';
import { SignJWT } from 'jose';
import pg from 'pg';
import { createKafka, type KafkaClients, type KafkaProducer } from '@likepipe/pipeline/kafka/client.js';
import { redisKeys } from '@likepipe/pipeline/redis/keys.js';
import { waitFor } from './wait.js';

/**
 * What the integration tests share: the real stack that scripts/test.sh brought up (its env file), HTTP
 * helpers, clients for Redis, Postgres, and a way to drive the stack scripts (stop Redis, kill a process).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENV_FILE = process.env.LIKEPIPE_ENV_FILE ?? `${ROOT}.likepipe/test/local.env`;

function readEnv(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run the integration tests through \`npm test\`, which brings up the stack`);
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export const env = readEnv(ENV_FILE);
export const API = env.LIKEPIPE_API_URL!;
export const TOPIC = env.LIKEPIPE_KAFKA_TOPIC ?? DEFAULT_TOPIC;

/**
 * Kafka clients on the stack's brokers, for tests that read groups or write events themselves; quiet (tests
 * stop brokers on purpose).
 */
export const testKafka = (clientId: string): KafkaClients =>
  createKafka(env.KAFKA_BROKERS!.split(','), clientId, createLogger({ level: 'error', write: () => undefined }));
/** A producer that writes what the like-API writes: string keys and values, keys placed as the API places them. */
export const testProducer = (clientId: string): KafkaProducer =>
  testKafka(clientId).producer({
    serializers: stringSerializers,
    partitioner: compatibilityPartitioner,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
  });
/** A consumer group as its coordinator describes it: whether it is stable, and how many members it has. */
export async function describeGroup(admin: Admin, groupId: string): Promise<{ stable: boolean; members: number }> {
  const g = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
  return { stable: /^stable$/i.test(g?.state ?? ''), members: g?.members.size ?? 0 };
}
export { readCommittedOffsets, readTopicEnds } from '@likepipe/pipeline/kafka/consumer-lag.js';

/** A second, separate like-API process (own memory, own producer) started by scripts/test.sh. */
export const API_B = process.env.LIKEPIPE_API_URL_B ?? 'http://127.0.0.1:8181';

export const uid = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

export async function token(
  userId: string,
  opts: { expiresIn?: string | number; secret?: string; issuedAt?: number } = {},
): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(userId);
  if (opts.issuedAt !== undefined) jwt.setIssuedAt(opts.issuedAt);
  else jwt.setIssuedAt();
  jwt.setExpirationTime(opts.expiresIn ?? '1h');
  return jwt.sign(new TextEncoder().encode(opts.secret ?? env.LIKEPIPE_JWT_SECRET!));
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const tokenCache = new Map<string, Promise<string>>();

export async function call(
  method: string,
  path: string,
  opts: {
    user?: string;
    auth?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    base?: string;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.user) {
    if (!tokenCache.has(opts.user)) tokenCache.set(opts.user, token(opts.user));
    headers.authorization = `Bearer ${await tokenCache.get(opts.user)!}`;
  }
  if (opts.auth) headers.authorization = opts.auth;
  let body: string | undefined;
  if (opts.rawBody !== undefined) {
    body = opts.rawBody;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${opts.base ?? API}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (e.g. /metrics)
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export const like = (user: string, postId: string, extra: { headers?: Record<string, string>; base?: string } = {}) =>
  call('POST', `/api/posts/${postId}/like`, { user, ...extra });
export const unlike = (user: string, postId: string, extra: { headers?: Record<string, string>; base?: string } = {}) =>
  call('DELETE', `/api/posts/${postId}/like`, { user, ...extra });

export async function createPost(author = uid('author'), id = uid('post')): Promise<string> {
  const r = await call('POST', '/api/posts', { user: author, body: { id } });
  if (r.status !== 201) throw new Error(`creating post ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return id;
}

/** A new post liked by `n` users named `<prefix>-0` … `<prefix>-(n-1)`, converged everywhere. */
export async function likedPost(prefix: string, n: number): Promise<string> {
  const postId = await createPost();
  await pool(
    Array.from({ length: n }, (_, i) => `${prefix}-${i}`),
    16,
    (u) => like(u, postId),
  );
  await expectConverged(postId, n);
  return postId;
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export { waitFor };

const run = promisify(execFile);

/** Runs one of scripts/stack/*.sh (or scripts/up.sh with name 'up') with the test stack's environment. */
export async function stack(script: 'redis' | 'kafka' | 'postgres' | 'app' | 'up', ...args: string[]): Promise<string> {
  const file = script === 'up' ? `${ROOT}scripts/up.sh` : `${ROOT}scripts/stack/${script}.sh`;
  try {
    const { stdout } = await run('bash', [file, ...args], { env: process.env, maxBuffer: 16 << 20, timeout: 300_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${script}.sh ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

export const db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4 });

export function redisCluster(): Cluster {
  const cluster = new Cluster(
    env.REDIS_CLUSTER_NODES!.split(',').map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
    { redisOptions: { connectTimeout: 2_000 }, clusterRetryStrategy: (t) => Math.min(t * 100, 1_000) },
  );
  // Tests stop Redis on purpose; the client reconnects by itself and its complaints are not failures.
  cluster.on('error', () => undefined);
  return cluster;
}

/** The truth for one post: the counter row and the rows it must equal (invariant 2). */
export async function truthOf(postId: string): Promise<{ likeCount: number; rows: number }> {
  const { rows } = await db.query<{ like_count: string; rows: string }>(
    'SELECT p.like_count, (SELECT count(*) FROM likes l WHERE l.post_id = p.id) AS rows FROM posts p WHERE p.id = $1',
    [postId],
  );
  if (!rows[0]) throw new Error(`post ${postId} not in Postgres`);
  return { likeCount: Number(rows[0].like_count), rows: Number(rows[0].rows) };
}

let sharedRedis: Cluster | undefined;

/**
 * Waits until the post has converged on `expected` likes everywhere: the counter row and the likes rows in
 * Postgres (invariant 2), the count the API serves, and Redis's own counter and dedup set when the post's keys
 * are in Redis (the API can answer from Postgres while Redis recovers, so its answer alone proves less).
 */
export async function expectConverged(postId: string, expected: number, timeoutMs = 45_000): Promise<void> {
  const viewer = uid('viewer');
  sharedRedis ??= redisCluster();
  const redis = sharedRedis;
  await waitFor(
    `post ${postId} to converge on ${expected} likes`,
    async () => {
      const t = await truthOf(postId);
      if (t.likeCount !== expected || t.rows !== expected) return false;
      const r = await call('GET', `/api/posts/${postId}`, { user: viewer });
      if (r.status !== 200 || r.body.likeCount !== expected) return false;
      const count = await redis.hget(redisKeys.post(postId), 'count');
      if (count === null) return true;
      return Number(count) === expected && (await redis.scard(redisKeys.likers(postId))) === expected;
    },
    timeoutMs,
  );
}

/**
 * Waits until both API processes take likes on the fast path again (200, not 202 or 503): each has its own
 * breakers and Redis Cluster view, so one can still be recovering from an earlier test when the other is fine.
 */
export async function waitHealthy(timeoutMs = 60_000): Promise<void> {
  const postId = await waitFor('a post to be created', async () => createPost().catch(() => undefined), timeoutMs);
  let n = 0;
  for (const base of [API, API_B]) {
    await waitFor(
      `the like-API at ${base} to be back on Redis and Kafka`,
      async () => (await like(`probe-${n++}`, postId, { base })).status === 200,
      timeoutMs,
    );
  }
}

export async function closeClients(): Promise<void> {
  sharedRedis?.disconnect();
  await db.end();
}
