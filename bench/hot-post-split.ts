/**
 * `npm run bench -- hot-post-split`: one viral post's like path against a Redis Cluster of 3, 6 or 9 masters,
 * unsplit and split over N sub-slots, to show what one post can reach as it spreads over more masters.
 *
 * Each like is what the like-API does in the post's Redis slots for it, through the same RedisSpeedLayer:
 * post-apply.lua, or once split shard-apply.lua in the user's sub-slot (seeded, so the base slot is not read).
 * The user's slot (user-admit.lua) spreads over every master with the users whatever the post does, so it is
 * left out unless BENCH_ADMIT=true, which would only add the same 1/masters share to every master. Kafka and Postgres are left out on purpose: they scale with partitions and batches, not with
 * one post, and on this 2-core machine they would only take CPU from what is measured. Per run it reports
 * likes/s, the Redis CPU per like (all nodes, from /proc, less what the idle cluster burns in the same time),
 * and the busiest master's CPU per like, which is what
 * bounds one post: a master is one thread, so one post can take at most 1e6 / (busiest µs per like) likes/s
 * however fast the machine around it. The client's own CPU per like stands in for the like-API's Redis share.
 *
 * Run through scripts/bench.sh, which starts the Redis Cluster alone with LIKEPIPE_REDIS_MASTERS masters.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRedisCluster, waitForReady } from '@likepipe/pipeline/redis/client.js';
import { redisKeys } from '@likepipe/pipeline/redis/keys.js';
import { RedisSpeedLayer } from '@likepipe/pipeline/redis/speed-layer.js';
import { createBreaker } from '@likepipe/pipeline/resilience/breaker.js';
import { sampleCpu } from './cpu.ts';

const PORTS = process.env.LIKEPIPE_REDIS_PORTS!.split(' ');
const RUN_DIR = `${process.env.LIKEPIPE_STATE}/run`;
const MASTERS = Number(process.env.LIKEPIPE_REDIS_MASTERS ?? 3);
const LIKES = Number(process.env.BENCH_LIKES ?? 60_000);
const CONCURRENCY = Number(process.env.BENCH_CONNECTIONS ?? 512);
const SPLITS = (process.env.BENCH_SPLITS ?? '1 2 4 8 16').split(' ').map(Number);
const ADMIT = process.env.BENCH_ADMIT === 'true';

const redis = createRedisCluster(
  PORTS.map((p) => `127.0.0.1:${p}`),
  { commandTimeoutMs: 10_000, failFast: false },
);
await waitForReady(redis, 30_000);
const speed = new RedisSpeedLayer(redis, createBreaker({ name: 'bench', timeoutMs: 30_000 }), {
  hotRate: 0,
  shards: 8,
  countTtlMs: 500,
});

/** Which port serves each slot as master, from CLUSTER SLOTS. */
const slotMap = await redis.cluster('SLOTS');
const masterPorts = [...new Set(slotMap.map((r) => String(r[2]![1])))];
async function masterOf(key: string): Promise<string> {
  const slot = Number(await redis.cluster('KEYSLOT', key));
  return String(slotMap.find(([from, to]) => slot >= from && slot <= to)![2]![1]);
}

/** Each node's idle CPU (seconds per second): cron, cluster bus pings, replication. Subtracted from each run. */
async function idleRates(seconds: number): Promise<Map<string, number>> {
  const before = sampleCpu(RUN_DIR, (name) => name);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = sampleCpu(RUN_DIR, (name) => name);
  return new Map([...after].map(([name, s]) => [name, (s - (before.get(name) ?? 0)) / seconds]));
}
const idle = await idleRates(5);

interface Row {
  shards: number;
  mastersUsed: number;
  likes: number;
  likesPerS: number;
  redisUsPerLike: number;
  busiestMasterUsPerLike: number;
  postCeiling: number;
  clientUsPerLike: number;
  exact: boolean;
}

async function run(shards: number): Promise<Row> {
  const postId = `bench-split-${shards}-${Date.now().toString(36)}`;
  await speed.warm({ id: postId, authorId: 'bench', createdAt: new Date().toISOString(), likeCount: 0, likers: [] });
  let keys = [redisKeys.post(postId)];
  if (shards > 1) {
    const layout = (await speed.splitPost(postId, shards))!;
    // Steady state of a split post: its sub-slots hold their share of the frozen base (see shard-seeded.lua).
    await speed.seed(postId, layout);
    keys = Array.from({ length: shards }, (_, k) => redisKeys.shard(postId, layout.epoch, k));
  }
  const mastersUsed = new Set(await Promise.all(keys.map(masterOf))).size;
  // The same users every run would be rate-limited; each run's users are its own.
  const users = Array.from({ length: LIKES }, (_, i) => `u${shards}-${i}`);

  const cpuBefore = sampleCpu(RUN_DIR, (name) => name);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < users.length) {
        const userId = users[next++]!;
        if (ADMIT) {
          const admitted = await speed.admit({
            userId,
            fingerprint: `like:${postId}`,
            limit: 100,
            windowMs: 60_000,
            inflightTtlMs: 30_000,
          });
          if (admitted.kind !== 'admitted') throw new Error(`${userId}: ${admitted.kind}`);
        }
        const r = await speed.apply(postId, userId, 'like');
        if (r.kind !== 'applied' || !r.changed) throw new Error(`${userId}: ${JSON.stringify(r)}`);
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const cpuAfter = sampleCpu(RUN_DIR, (name) => name);
  const usPer = (name: string) =>
    (Math.max(0, (cpuAfter.get(name) ?? 0) - (cpuBefore.get(name) ?? 0) - (idle.get(name) ?? 0) * elapsedS) * 1e6) /
    LIKES;
  const redisNodes = PORTS.map((p) => `redis-${p}`);
  const busiest = Math.max(...masterPorts.map((p) => usPer(`redis-${p}`)));
  const counted = await speed.count(postId);
  return {
    shards,
    mastersUsed,
    likes: LIKES,
    likesPerS: LIKES / elapsedS,
    redisUsPerLike: redisNodes.reduce((sum, n) => sum + usPer(n), 0),
    busiestMasterUsPerLike: busiest,
    postCeiling: 1e6 / busiest,
    clientUsPerLike: (client.user + client.system) / LIKES,
    exact: counted?.count === LIKES,
  };
}

const rows: Row[] = [];
for (const n of SPLITS) {
  process.stderr.write(`${MASTERS} masters, post split over ${n}…\n`);
  rows.push(await run(n));
}
redis.disconnect();

const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const table = [
  `| masters | sub-slots (N) | masters used | likes/s | Redis CPU µs/like (all nodes) | busiest master µs/like | one post's ceiling (likes/s per busiest master core) | client µs/like | count exact |`,
  `|---:|---:|---:|---:|---:|---:|---:|---:|---|`,
  ...rows.map(
    (r) =>
      `| ${MASTERS} | ${r.shards === 1 ? '1 (unsplit)' : r.shards} | ${r.mastersUsed} | ${f(r.likesPerS)} | ${f(r.redisUsPerLike, 1)} | ${f(r.busiestMasterUsPerLike, 1)} | ${f(r.postCeiling)} | ${f(r.clientUsPerLike, 1)} | ${r.exact ? '✔' : '✘'} |`,
  ),
  '',
  `${f(LIKES)} likes per run by distinct users, ${CONCURRENCY} in flight from one client process` +
    `${ADMIT ? ', each with its user-slot admission' : ' (post slots only)'}; idle CPU subtracted; ` +
    `${PORTS.length} Redis nodes (${MASTERS} masters + 1 replica each); machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}.`,
].join('\n');
process.stdout.write(`\n${table}\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const name = `hot-post-split-m${MASTERS}-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}`;
writeFileSync(new URL(`./results/${name}.md`, import.meta.url), table + '\n');
writeFileSync(
  new URL(`./results/${name}.json`, import.meta.url),
  JSON.stringify(
    { date: new Date().toISOString(), masters: MASTERS, likes: LIKES, concurrency: CONCURRENCY, rows },
    null,
    2,
  ) + '\n',
);
