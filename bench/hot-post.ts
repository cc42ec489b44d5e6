/**
 * `npm run bench`: one hot post, 256+ concurrent connections, three endpoints side by side in one run:
 *   (a) naive   — a Postgres transaction per like (UPDATE posts SET like_count = like_count + 1 + a likes row)
 *   (b) like-API — Redis speed layer + Kafka buffer + batched truth-writer
 *   (c) no-op   — same express app and auth middleware, no work: the framework floor
 * Every request is a distinct user, so every accepted like must be counted exactly once. Prints a table of
 * throughput, latency, Postgres transactions per 1,000 likes and the final-count check; it asserts nothing.
 *
 * Run through scripts/bench.sh, which brings up a private stack with the bench endpoints enabled.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { cpuMicrosPer, idleCpuRate, sampleCpu } from './cpu.ts';
import { openLoop, percentile } from './open-loop.ts';
import { scrape, stages } from './stages.ts';
import { env, signToken } from './stack-env.ts';

const API = env.LIKEPIPE_API_URL!;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 256);
const LIKES = Number(process.env.BENCH_LIKES ?? 50_000);
const NAIVE_LIKES = Number(process.env.BENCH_NAIVE_LIKES ?? 10_000);
const db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 1 });
// Our own queries are transactions too; count them so they can be taken out of the pipeline's figure.
let ownQueries = 0;
const query = <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
  ownQueries++;
  return db.query<R>(text, values);
};
async function mintTokens(prefix: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await signToken(`${prefix}${i}`));
  return out;
}

async function xacts(): Promise<number> {
  // Backends report to pg_stat_database when idle for ~10 s (PostgreSQL 15), so wait that long to read settled numbers.
  await new Promise((r) => setTimeout(r, 11_000));
  const { rows } = await query<{ n: string }>(
    'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0]!.n);
}

async function createPost(id: string): Promise<void> {
  const [t] = await mintTokens('author-', 1);
  const r = await fetch(`${API}/api/posts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id }),
  });
  if (r.status !== 201) throw new Error(`create post: ${r.status} ${await r.text()}`);
}

async function truth(postId: string): Promise<{ likeCount: number; rows: number }> {
  const { rows } = await query<{ like_count: string; rows: string }>(
    'SELECT like_count, (SELECT count(*) FROM likes WHERE post_id = $1) AS rows FROM posts WHERE id = $1',
    [postId],
  );
  return { likeCount: Number(rows[0]!.like_count), rows: Number(rows[0]!.rows) };
}

interface Row {
  name: string;
  requests: number;
  accepted: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  xactsPer1000: number | null;
  finalCount: string;
  /** CPU µs per accepted request (per like on the like paths) per process group; fixed-rate runs only. */
  cpu?: Record<string, number>;
  /** The same without taking the background off, and that background in CPU ms per second. */
  cpuGross?: Record<string, number>;
  idleCpuMsPerS?: Record<string, number>;
  /** Where the like path's time went (bench/stages.ts); fixed-rate like-API runs only. */
  stages?: ReturnType<typeof stages>;
}

const RUN_DIR = `${process.env.LIKEPIPE_STATE}/run`;
const IDLE_SAMPLE_MS = 5_000;

/**
 * With BENCH_PHASE_WINDOWS set (profiling), each saturation phase's start and end on the monotonic clock, in µs:
 * the clock V8 stamps CPU-profile samples with, so bench/profile-top.ts can tell the like path's samples from the
 * floor's and the naive endpoint's in one profile of the whole run.
 */
const phaseWindows: Record<string, [number, number]> = {};
const nowMonotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function run(name: string, path: (i: number) => string, tokens: string[], postId: string | null): Promise<Row> {
  const before = await xacts();
  const ownBefore = ownQueries;
  let next = 0;
  const started = performance.now();
  const windowStart = nowMonotonicUs();
  const result = await autocannon({
    url: API,
    connections: CONNECTIONS,
    amount: tokens.length,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const i = next++;
          return { ...req, path: path(i), headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } };
        },
      },
    ],
  });
  const elapsedS = (performance.now() - started) / 1000;
  phaseWindows[name] = [windowStart, nowMonotonicUs()];
  const accepted = result['2xx'];
  const finalCount = postId ? await converge(postId, accepted) : 'n/a';
  const after = await xacts();
  const own = ownQueries - ownBefore;
  return {
    name,
    requests: result.requests.total,
    accepted,
    // Our own clock: autocannon's average and duration move in whole-second ticks, which over a run of a few
    // seconds is a ±15 % error.
    rps: result.requests.total / elapsedS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    xactsPer1000: postId ? ((after - before - own) / accepted) * 1000 : null,
    finalCount,
  };
}

/** The same measurement at a constant arrival rate (open loop): latency as a user sees it at that load. */
async function runAtRate(
  name: string,
  path: string,
  tokens: string[],
  postId: string | null,
  rate: number,
): Promise<Row> {
  const before = await xacts();
  const ownBefore = ownQueries;
  // The stack's background CPU with nothing offered, measured just before, is taken off (bench/cpu.ts).
  const idle = await idleCpuRate(RUN_DIR, IDLE_SAMPLE_MS);
  const cpuBefore = sampleCpu(RUN_DIR);
  const cpuStarted = performance.now();
  const metricsBefore = postId && path.startsWith('/api/') ? await scrape(API) : undefined;
  const r = await openLoop({
    url: API,
    rate,
    count: tokens.length,
    connections: CONNECTIONS,
    request: (i) => ({ path, headers: { authorization: `Bearer ${tokens[i]}` } }),
  });
  // Until the pipeline is quiet (every like in Postgres), so the workers' share of the likes is counted too.
  const t = postId ? await converge(postId, r.ok) : 'n/a';
  const cpuAfter = sampleCpu(RUN_DIR);
  const cpu = cpuMicrosPer(cpuBefore, cpuAfter, r.ok, { rate: idle, seconds: (performance.now() - cpuStarted) / 1000 });
  const cpuGross = cpuMicrosPer(cpuBefore, cpuAfter, r.ok);
  const stageRows = metricsBefore ? stages(metricsBefore, await scrape(API), r.ok) : undefined;
  const after = await xacts();
  const sorted = r.latenciesMs.sort((a, b) => a - b);
  return {
    name,
    requests: r.requests,
    accepted: r.ok,
    rps: r.requests / r.durationS,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: r.errors,
    xactsPer1000: postId ? ((after - before - (ownQueries - ownBefore)) / r.ok) * 1000 : null,
    finalCount: t,
    cpu,
    cpuGross,
    idleCpuMsPerS: Object.fromEntries([...idle].map(([g, v]) => [g, v * 1000])),
    ...(stageRows ? { stages: stageRows } : {}),
  };
}

async function converge(postId: string, accepted: number): Promise<string> {
  // Wait for the pipeline to go quiet: the truth holds every accepted like, exactly once.
  const deadline = Date.now() + 120_000;
  let t = await truth(postId);
  while ((t.likeCount !== accepted || t.rows !== accepted) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    t = await truth(postId);
  }
  return t.likeCount === accepted && t.rows === accepted
    ? `${t.likeCount} = accepted ✔`
    : `MISMATCH: like_count ${t.likeCount}, rows ${t.rows}, accepted ${accepted}`;
}

const stamp = Date.now().toString(36);
const naivePost = `bench-naive-${stamp}`;
const apiPost = `bench-api-${stamp}`;
await createPost(naivePost);
await createPost(apiPost);
process.stderr.write(`minting ${NAIVE_LIKES + 2 * LIKES} tokens…\n`);
const naiveTokens = await mintTokens(`naive-${stamp}-`, NAIVE_LIKES);
const apiTokens = await mintTokens(`api-${stamp}-`, LIKES);
const noopTokens = await mintTokens(`noop-${stamp}-`, LIKES);

// Warm-up: JIT, connection pools, the hot post's Redis keys.
await run('warm-up', () => '/bench/noop', noopTokens.slice(0, 2_000), null);

process.stderr.write('(c) no-op…\n');
const noop = await run('(c) no-op + auth (floor)', () => '/bench/noop', noopTokens, null);
process.stderr.write('(b) like-API…\n');
const api = await run('(b) like-API', () => `/api/posts/${apiPost}/like`, apiTokens, apiPost);
process.stderr.write('(a) naive…\n');
const naive = await run(
  '(a) naive UPDATE per like',
  () => `/bench/naive/posts/${naivePost}/like`,
  naiveTokens,
  naivePost,
);

// Latency at the same offered load. Under saturation a closed loop's latency is connections ÷ throughput
// (Little's law), so its p99 mostly restates throughput. Offering both endpoints the same constant arrival
// rate, 80% of what the naive one sustains, compares what a user waits when neither is overloaded.
const rate = Math.max(100, Math.round(naive.rps * 0.8));
const fixedN = rate * 10;
process.stderr.write(`fixed rate ${rate}/s: naive…\n`);
const naivePost2 = `bench-naive-rate-${stamp}`;
const apiPost2 = `bench-api-rate-${stamp}`;
await createPost(naivePost2);
await createPost(apiPost2);
const naiveAtRate = await runAtRate(
  `(a) naive, ${rate} req/s offered`,
  `/bench/naive/posts/${naivePost2}/like`,
  await mintTokens(`naive-rate-${stamp}-`, fixedN),
  naivePost2,
  rate,
);
process.stderr.write(`fixed rate ${rate}/s: like-API…\n`);
const apiAtRate = await runAtRate(
  `(b) like-API, ${rate} req/s offered`,
  `/api/posts/${apiPost2}/like`,
  await mintTokens(`api-rate-${stamp}-`, fixedN),
  apiPost2,
  rate,
);

// The latency target is set at 80 % of the like-API's own saturation: loaded, but not queueing.
const apiRate = Math.max(100, Math.round(api.rps * 0.8));
process.stderr.write(`fixed rate ${apiRate}/s (80 % of the like-API's saturation): like-API…\n`);
const apiPost3 = `bench-api-80-${stamp}`;
await createPost(apiPost3);
const apiAt80 = await runAtRate(
  `(b) like-API, ${apiRate} req/s offered (80 % of its saturation)`,
  `/api/posts/${apiPost3}/like`,
  await mintTokens(`api-80-${stamp}-`, apiRate * 10),
  apiPost3,
  apiRate,
);

// The floor at the same rate as the loaded like-API run: CPU per request is compared at one rate, since at a
// light rate each request also pays for wake-ups and produce requests that a busier process shares.
process.stderr.write(`fixed rate ${apiRate}/s: no-op…\n`);
const noopAtRate = await runAtRate(
  `(c) no-op, ${apiRate} req/s offered`,
  '/bench/noop',
  await mintTokens(`noop-rate-${stamp}-`, apiRate * 10),
  null,
  apiRate,
);

// Process groups in the order the CPU table shows them (bench/cpu.ts names them from the stack's pid files).
const GROUPS = [
  'like-api',
  'kafka',
  'redis',
  'postgres',
  'truth-writer',
  'reconciler',
  'analytics',
  'notifier',
  'feed-ranker',
  'prometheus',
];
const apiCpu = apiAt80.cpu?.['like-api'] ?? NaN;
const floorCpu = noopAtRate.cpu?.['like-api'] ?? NaN;
const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [
  `| endpoint | requests | 2xx | throughput (req/s) | p50 (ms) | p99 (ms) | errors | PG xacts / 1,000 likes | final count |`,
  `|---|---:|---:|---:|---:|---:|---:|---:|---|`,
  ...[naive, api, noop, naiveAtRate, apiAtRate, apiAt80, noopAtRate].map(
    (r) =>
      `| ${r.name} | ${f(r.requests)} | ${f(r.accepted)} | ${f(r.rps)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.errors)} | ${r.xactsPer1000 === null ? '—' : f(r.xactsPer1000, 2)} | ${r.finalCount} |`,
  ),
  '',
  `Saturation (${CONNECTIONS} connections, closed loop): like-API ${f(api.rps / naive.rps, 1)}× the naive throughput, ` +
    `p99 ${f(naive.p99 / api.p99, 1)}× lower; ${f((api.rps / noop.rps) * 100)}% of the no-op floor.`,
  `Same offered load (${rate} req/s = 80% of naive saturation, constant arrival rate): p50 ${f(apiAtRate.p50, 1)} ms ` +
    `like-API vs ${f(naiveAtRate.p50, 1)} ms naive, p99 ${f(apiAtRate.p99, 1)} ms vs ${f(naiveAtRate.p99, 1)} ms.`,
  '',
  `CPU per accepted request at a fixed rate (µs; on the like paths per like, until Postgres holds every like;`,
  'from /proc, each process with its descendants; what each group burns idle, measured for 5 s before, taken off):',
  '',
  `| endpoint | ${GROUPS.join(' | ')} | total |`,
  `|---|${GROUPS.map(() => '---:').join('|')}|---:|`,
  ...[naiveAtRate, apiAtRate, apiAt80, noopAtRate].map(
    (r) =>
      `| ${r.name} | ${GROUPS.map((g) => f(r.cpu?.[g] ?? 0)).join(' | ')} | ${f(Object.values(r.cpu ?? {}).reduce((a, b) => a + b, 0))} |`,
  ),
  '',
  `Idle background before the like-API run (CPU ms per second): ${GROUPS.map((g) => `${g} ${f(apiAtRate.idleCpuMsPerS?.[g] ?? 0)}`).join(', ')}.`,
  `like-API process CPU per like at ${apiRate} req/s: ${f(apiCpu, 0)} µs = ${f(apiCpu / floorCpu, 2)}× the floor's ${f(floorCpu, 0)} µs per request.`,
  '',
  "Where a like spends its time at a fixed rate (from the like-API's /metrics; p99 interpolated in the buckets):",
  '',
  '| run | stage | count | mean (ms) | p99 (ms) |',
  '|---|---|---:|---:|---:|',
  ...[apiAtRate, apiAt80].flatMap((r) =>
    (r.stages?.rows ?? []).map(
      (s) => `| ${r.name} | ${s.stage} | ${f(s.count)} | ${f(s.meanMs, 2)} | ${f(s.p99Ms, 1)} |`,
    ),
  ),
  ...[apiAtRate, apiAt80].map((r) =>
    r.stages
      ? `${r.name}: GC ${f(r.stages.gcMsPerLike, 3)} ms per like, event-loop delay p99 ${f(r.stages.eventLoopP99Ms, 1)} ms, ` +
        `${f(r.stages.meanBatchSize, 1)} likes per produce request.`
      : '',
  ),
  '',
  `${CONNECTIONS} connections, one hot post, every request a distinct user; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ` +
    `${f(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load generator (autocannon) on the same machine.`,
];
const table = lines.join('\n');
process.stdout.write(`\n${table}\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const resultName = `hot-post-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}`;
writeFileSync(new URL(`./results/${resultName}.md`, import.meta.url), table + '\n');
// Machine-readable, with the names the targets use; the run the README quotes is kept in bench/baseline/.
const result = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'cpu',
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
  },
  connections: CONNECTIONS,
  fixed_rate: rate,
  loaded_rate: apiRate,
  rows: [naive, api, noop, naiveAtRate, apiAtRate, apiAt80, noopAtRate],
  like_api_p99_ms_at_80pct_of_saturation: apiAt80.p99,
  share_of_floor: api.rps / noop.rps,
  throughput_vs_naive: api.rps / naive.rps,
  // Above the idle background (bench/cpu.ts); the gross figures are in rows[].cpuGross.
  cpu_us_per_like: apiAt80.cpu,
  floor_cpu_us_per_request: noopAtRate.cpu,
  api_cpu_vs_floor: apiCpu / floorCpu,
  pg_xacts_per_1000_likes_at_saturation: api.xactsPer1000,
};
writeFileSync(new URL(`./results/${resultName}.json`, import.meta.url), JSON.stringify(result, null, 2) + '\n');
if (process.env.BENCH_PHASE_WINDOWS) writeFileSync(process.env.BENCH_PHASE_WINDOWS, JSON.stringify(phaseWindows));
await db.end();
