import cluster from 'node:cluster';
import type { Server } from 'node:http';
import {
  FeedService,
  FollowService,
  LikeService,
  LocalRateLimiter,
  NotificationService,
  PostService,
  StatsService,
  systemClock,
  type LocalIdempotencyStore,
} from '@likepipe/core';
import { LRUCache } from 'lru-cache';
import client from 'prom-client';
import type { ApiConfig } from '../config.js';
import { LruPostViewCache } from '../cache/post-view-cache.js';
import { createApp } from '../http/app.js';
import { answerClientErrors } from '../http/client-error.js';
import { createKafka } from '../kafka/client.js';
import { KafkaEventLog } from '../kafka/event-log.js';
import type { Logger } from '../observability/logger.js';
import { degradedActions, registry } from '../observability/metrics.js';
import { createPool } from '../postgres/pool.js';
import { PgFollowStore } from '../postgres/follow-store.js';
import { PgNotificationStore } from '../postgres/notification-store.js';
import { PgStatsStore } from '../postgres/stats-store.js';
import { PgTruth } from '../postgres/truth-reader.js';
import { createRedisCluster, waitForReady } from '../redis/client.js';
import { CachedFeedSnapshots, RedisFeedSnapshots } from '../redis/feed-snapshots.js';
import { RedisSpeedLayer } from '../redis/speed-layer.js';
import { createBreaker } from '../resilience/breaker.js';
import { retry } from '../runtime/retry.js';
import { onShutdown } from '../runtime/shutdown.js';

/**
 * The like-API role. With LIKEPIPE_API_WORKERS > 1 the process forks that many workers sharing one port (node
 * cluster), so one instance uses every core; the primary only supervises and aggregates /metrics.
 */
export async function runLikeApi(config: ApiConfig, log: Logger): Promise<void> {
  if (config.LIKEPIPE_API_WORKERS > 1 && cluster.isPrimary) return runPrimary(config, log);
  return runWorker(config, log);
}

const METRICS_REQ = 'likepipe:metrics-req';
/** Between attempts to reach Kafka at start: soon after it is up, without a log line a second while it is not. */
const KAFKA_CONNECT_BACKOFF = { baseMs: 500, maxMs: 5_000 };
const METRICS_RES = 'likepipe:metrics-res';

function runPrimary(config: ApiConfig, log: Logger): Promise<void> {
  const aggregator = new client.AggregatorRegistry();
  let stopping = false;
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (msg: { type?: string; id?: number }) => {
      if (msg?.type !== METRICS_REQ) return;
      aggregator.clusterMetrics().then(
        (body) => worker.send({ type: METRICS_RES, id: msg.id, body }),
        (err: Error) => worker.send({ type: METRICS_RES, id: msg.id, error: err.message }),
      );
    });
  };
  for (let i = 0; i < config.LIKEPIPE_API_WORKERS; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log.error('like-api worker died; starting a new one', { workerPid: worker.process.pid, code, signal });
    setTimeout(fork, 500);
  });
  log.info('like-api primary started', { workers: config.LIKEPIPE_API_WORKERS, port: config.LIKEPIPE_API_PORT });
  return new Promise((resolve) => {
    onShutdown(log, async () => {
      stopping = true;
      // Each worker drains its own requests and flushes its producer on SIGTERM.
      const exits = Object.values(cluster.workers ?? {}).map(
        // A plain signal, not worker.kill(): that disconnects the IPC channel first, which ends the worker
        // before it has drained.
        (w) =>
          new Promise<void>((r) => {
            if (w!.isDead()) return r();
            w!.once('exit', () => r());
            process.kill(w!.process.pid!, 'SIGTERM');
          }),
      );
      await Promise.all(exits);
      resolve();
    });
  });
}

async function runWorker(config: ApiConfig, log: Logger): Promise<void> {
  if (cluster.isWorker) {
    // prom-client installs a worker's answer to the primary's metrics request only in this constructor.
    new client.AggregatorRegistry();
    client.AggregatorRegistry.setRegistries([registry]);
  }
  const redis = createRedisCluster(config.REDIS_CLUSTER_NODES, {
    commandTimeoutMs: config.LIKEPIPE_REDIS_TIMEOUT_MS,
    failFast: true,
  });
  redis.on('error', (err: Error) => log.debug('redis client error', { err }));
  // ioredis's commandTimeout already bounds every Redis call; a second timer per call would only cost CPU.
  const redisBreaker = createBreaker({ name: 'redis', timeoutMs: false });
  const kafkaBreaker = createBreaker({
    name: 'kafka',
    timeoutMs: config.LIKEPIPE_PRODUCER_TIMEOUT_MS + 1_000,
    volumeThreshold: 3,
  });
  const kafka = createKafka(config.KAFKA_BROKERS, 'likepipe-api', log);
  const events = new KafkaEventLog(kafka, kafkaBreaker, {
    topic: config.LIKEPIPE_KAFKA_TOPIC,
    lingerMs: config.LIKEPIPE_PRODUCER_LINGER_MS,
    maxBatchSize: config.LIKEPIPE_PRODUCER_MAX_BATCH,
    maxQueued: config.LIKEPIPE_PRODUCER_MAX_QUEUED,
    maxInFlight: config.LIKEPIPE_PRODUCER_MAX_IN_FLIGHT,
    timeoutMs: config.LIKEPIPE_PRODUCER_TIMEOUT_MS,
  });
  const pool = createPool(config.DATABASE_URL, { max: 16, applicationName: 'likepipe-api', log });
  const truth = new PgTruth(pool);
  const speed = new RedisSpeedLayer(redis, redisBreaker, {
    hotRate: config.LIKEPIPE_HOT_POST_SPLIT_RATE,
    shards: config.LIKEPIPE_HOT_POST_SHARDS,
    countTtlMs: config.LIKEPIPE_COUNT_CACHE_TTL_MS,
    onSplit: (postId, outcome) =>
      outcome instanceof Error
        ? log.warn('could not split a hot post; will try again', { postId, err: outcome })
        : log.info('split a hot post over sub-slots', { postId, shards: outcome?.shards, epoch: outcome?.epoch }),
  });
  const localIdempotency = new LRUCache<string, { fingerprint: string; response: { status: number; body: unknown } }>({
    max: 100_000,
    ttl: config.LIKEPIPE_IDEMPOTENCY_TTL_S * 1000,
  });
  const viewCache = new LruPostViewCache({
    max: config.LIKEPIPE_COUNT_CACHE_MAX,
    ttlMs: config.LIKEPIPE_COUNT_CACHE_TTL_MS,
  });
  const likes = new LikeService({
    speed,
    log: events,
    truth,
    posts: truth,
    clock: systemClock,
    localLimiter: new LocalRateLimiter(config.LIKEPIPE_RATE_LIMIT, config.LIKEPIPE_RATE_WINDOW_MS, systemClock),
    localIdempotency: localIdempotency satisfies LocalIdempotencyStore,
    options: {
      rateLimit: config.LIKEPIPE_RATE_LIMIT,
      rateWindowMs: config.LIKEPIPE_RATE_WINDOW_MS,
      idempotencyTtlMs: config.LIKEPIPE_IDEMPOTENCY_TTL_S * 1000,
      inflightTtlMs: Math.max(30_000, config.LIKEPIPE_PRODUCER_TIMEOUT_MS * 3),
    },
    onDegraded: (reason) => degradedActions.inc({ reason }),
    onCount: (postId, likeCount) => viewCache.setCount(postId, likeCount),
    onWarn: (msg, err) => log.warn(msg, { err }),
  });
  const posts = new PostService({
    speed,
    truth,
    posts: truth,
    likes,
    clock: systemClock,
    viewCache,
    onWarn: (msg, err) => log.warn(msg, { err }),
  });

  const stats = new StatsService({ stats: new PgStatsStore(pool), posts: truth, clock: systemClock });
  const notifications = new NotificationService({ notifications: new PgNotificationStore(pool), clock: systemClock });
  const followStore = new PgFollowStore(pool);
  const feed = new FeedService({
    snapshots: new CachedFeedSnapshots(new RedisFeedSnapshots(redis), config.LIKEPIPE_FEED_CACHE_MS),
    relationships: followStore,
    clock: systemClock,
    recencyHalfLifeMs: config.LIKEPIPE_FEED_RECENCY_HALF_LIFE_MS,
  });
  const follows = new FollowService({ follows: followStore, clock: systemClock });

  let kafkaConnected = false;
  let shuttingDown = false;
  await waitForReady(redis, 15_000).catch((err: Error) =>
    log.warn('starting with Redis unavailable: likes will be degraded', { err }),
  );

  const app = createApp({
    posts,
    stats,
    notifications,
    feed,
    follows,
    likes,
    jwtSecret: config.LIKEPIPE_JWT_SECRET,
    log,
    isReady: () => {
      if (shuttingDown) return { ready: false, reason: 'shutting down' };
      if (!kafkaConnected) return { ready: false, reason: 'kafka producer not connected' };
      if (kafkaBreaker.opened) return { ready: false, reason: 'kafka circuit breaker open' };
      return { ready: true };
    },
    metrics: () => workerMetrics(),
    isDraining: () => shuttingDown,
    ...(config.LIKEPIPE_BENCH_ENDPOINTS ? { benchPool: pool } : {}),
  });

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.LIKEPIPE_API_PORT, config.LIKEPIPE_API_HOST, () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server);
  log.info('like-api listening', { host: config.LIKEPIPE_API_HOST, port: config.LIKEPIPE_API_PORT });

  // Kafka must be reachable before we take traffic (without it no like can be answered), so /readyz says no until
  // it is. A like-API that starts before Kafka (a pod beside a broker still starting) listens and waits rather than
  // exiting: exits would put the pod in the kubelet's crash-loop backoff, which grows to five minutes and so
  // outlasts Kafka's start; and /healthz answering keeps its liveness probe from restarting it meanwhile.
  const connecting = new AbortController();
  retry(() => events.connect(), {
    backoff: KAFKA_CONNECT_BACKOFF,
    retryIf: () => true,
    signal: connecting.signal,
    onRetry: ({ attempt, delayMs, err }) =>
      log.warn('kafka not reachable yet; not ready until it is', { attempt, delayMs, err }),
  }).then(
    () => {
      kafkaConnected = true;
    },
    (err: Error) => log.info('stopped waiting for kafka', { err }),
  );

  return new Promise((resolve) => {
    onShutdown(log, async () => {
      shuttingDown = true;
      connecting.abort();
      // Not ready at once, but still serving until the load balancer has noticed: closing the listener first
      // would refuse the connections still routed here (seen in the failover load test: conn-refused).
      if (config.LIKEPIPE_SHUTDOWN_DELAY_MS > 0) {
        log.info('not ready; serving until the shutdown delay ends', { delayMs: config.LIKEPIPE_SHUTDOWN_DELAY_MS });
        await new Promise((r) => setTimeout(r, config.LIKEPIPE_SHUTDOWN_DELAY_MS));
      }
      // Stop accepting, let in-flight requests finish (their likes are in the batcher), then flush it.
      // close() stops accepting and closes connections that are idle now. Busy keep-alive connections end
      // gracefully after their current answer, which says `Connection: close` (see createApp): never destroy
      // them, which could drop an answer still in the socket buffer for a like that is already durable.
      await new Promise<void>((r) => server.close(() => r()));
      await events.close();
      await Promise.allSettled([redis.quit(), pool.end()]);
      resolve();
    });
  });
}

let metricsSeq = 0;
/** In a cluster worker, /metrics asks the primary for the sum over all workers; alone, it reads its own. */
function workerMetrics(): Promise<{ contentType: string; body: string }> {
  if (!cluster.isWorker || !process.send) {
    return registry.metrics().then((body) => ({ contentType: registry.contentType, body }));
  }
  const id = ++metricsSeq;
  return new Promise((resolve, reject) => {
    const onMsg = (msg: { type?: string; id?: number; body?: string; error?: string }) => {
      if (msg?.type !== METRICS_RES || msg.id !== id) return;
      process.off('message', onMsg);
      if (msg.error) reject(new Error(msg.error));
      else resolve({ contentType: registry.contentType, body: msg.body ?? '' });
    };
    process.on('message', onMsg);
    process.send!({ type: METRICS_REQ, id });
  });
}
