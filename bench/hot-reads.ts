/**
 * `npm run bench -- hot-reads`: what a viral post's reads cost. One post, 256 connections, each endpoint
 * hammered for BENCH_READ_SECONDS (default 10) by many readers:
 *   (a) GET /api/posts/{id}/count — through the like-API's in-process cache (TTL LIKEPIPE_COUNT_CACHE_TTL_MS)
 *   (b) GET /api/posts/{id}        — exact, per viewer (likedByMe), one Redis script per request
 * Prints throughput, latency, the Redis commands the whole cluster processed per 1,000 reads (INFO stats on
 * every node, before and after) and the cache's hit ratio (/metrics). Asserts nothing.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { env, signToken as sign } from './stack-env.ts';

const API = env.LIKEPIPE_API_URL!;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 256);
const SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 10);
const READERS = 1_000;

/** Commands processed by every node of the cluster so far (each node counts its own). */
async function redisCommands(): Promise<number> {
  let total = 0;
  for (const node of env.REDIS_CLUSTER_NODES!.split(',')) {
    const [host, port] = node.split(':');
    const r = new Redis({ host: host!, port: Number(port), lazyConnect: true });
    await r.connect();
    const info = await r.info('stats');
    await r.quit();
    total += Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
  }
  return total;
}

async function cacheLookups(): Promise<Record<string, number>> {
  const text = await (await fetch(`${API}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^likepipe_count_cache_lookups_total\{result="(\w+)"\} (\d+)/gm)) {
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

interface Row {
  name: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  redisPer1000: number;
  hitRatio: number | null;
}

async function run(name: string, path: string, tokens: string[]): Promise<Row> {
  const [redisBefore, cacheBefore] = await Promise.all([redisCommands(), cacheLookups()]);
  let next = 0;
  const started = performance.now();
  const result = await autocannon({
    url: API,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'GET',
        path,
        setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
      },
    ],
  });
  const elapsedS = (performance.now() - started) / 1000;
  const [redisAfter, cacheAfter] = await Promise.all([redisCommands(), cacheLookups()]);
  const d = (k: string) => (cacheAfter[k] ?? 0) - (cacheBefore[k] ?? 0);
  const lookups = d('hit') + d('inflight') + d('miss') + d('stale');
  return {
    name,
    requests: result.requests.total,
    rps: result.requests.total / elapsedS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    // Includes the cluster's own chatter (a few commands a second): a floor, not noise, at these volumes.
    redisPer1000: ((redisAfter - redisBefore) / result.requests.total) * 1000,
    hitRatio: lookups > 0 ? (d('hit') + d('inflight')) / lookups : null,
  };
}

const author = await sign('bench-author');
const postId = `viral-${Date.now().toString(36)}`;
const created = await fetch(`${API}/api/posts`, {
  method: 'POST',
  headers: { authorization: `Bearer ${author}`, 'content-type': 'application/json' },
  body: JSON.stringify({ id: postId }),
});
if (created.status !== 201) throw new Error(`creating the post: ${created.status} ${await created.text()}`);
const tokens = await Promise.all(Array.from({ length: READERS }, (_, i) => sign(`reader-${i}`)));
for (const t of tokens.slice(0, 50)) {
  await fetch(`${API}/api/posts/${postId}/like`, { method: 'POST', headers: { authorization: `Bearer ${t}` } });
}

const cached = await run('GET /api/posts/{id}/count (cached)', `/api/posts/${postId}/count`, tokens);
const exact = await run('GET /api/posts/{id} (exact, likedByMe)', `/api/posts/${postId}`, tokens);

const f = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const lines = [
  `| endpoint | requests | req/s | p50 ms | p99 ms | errors | Redis commands / 1,000 reads | cache hit ratio |`,
  `|---|---|---|---|---|---|---|---|`,
  ...[cached, exact].map(
    (r) =>
      `| ${r.name} | ${f(r.requests)} | ${f(r.rps)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.errors)} | ` +
      `${f(r.redisPer1000, 1)} | ${r.hitRatio === null ? 'n/a' : `${f(r.hitRatio * 100, 2)} %`} |`,
  ),
  '',
  `${CONNECTIONS} connections, ${SECONDS} s each, one post read by ${READERS} users; count cache TTL ` +
    `${process.env.LIKEPIPE_COUNT_CACHE_TTL_MS ?? 500} ms per API process. Machine: ${cpus().length} × ` +
    `${cpus()[0]?.model ?? 'cpu'}, ${f(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load generator on the same machine.`,
];
const table = lines.join('\n');
process.stdout.write(`\n${table}\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/hot-reads-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}.md`, import.meta.url),
  table + '\n',
);
