import { Reconciler, systemClock, type ReconcileCandidate } from '@likepipe/core';
import type { ReconcilerConfig } from '../config.js';
import { failSpan, tracer } from '../kafka/tracing.js';
import type { Logger } from '../observability/logger.js';
import { reconcileChecks, reconcileRepairs, reconcileTickDuration } from '../observability/metrics.js';
import { tracingOn } from '../observability/tracing.js';
import { createPool } from '../postgres/pool.js';
import { prepared } from '../postgres/sql.js';
import { PgTruth } from '../postgres/truth-reader.js';
import { createRedisCluster } from '../redis/client.js';
import { RedisSpeedLayer } from '../redis/speed-layer.js';
import { createBreaker } from '../resilience/breaker.js';
import { startMetricsServer } from './metrics-server.js';
import { onShutdown } from './shutdown.js';

/** The reconciler role: every interval, one bounded pass of Redis repair from Postgres. */
export async function runReconciler(config: ReconcilerConfig, log: Logger): Promise<void> {
  const pool = createPool(config.DATABASE_URL, { max: 2, applicationName: 'likepipe-reconciler' });
  const truth = new PgTruth(pool);
  const redis = createRedisCluster(config.REDIS_CLUSTER_NODES, { commandTimeoutMs: 5_000, failFast: true });
  redis.on('error', (err: Error) => log.debug('redis client error', { err }));
  const speed = new RedisSpeedLayer(redis, createBreaker({ name: 'redis', timeoutMs: 10_000 }));
  const interval = config.LIKEPIPE_RECONCILE_INTERVAL_MS;
  const sweep = config.LIKEPIPE_RECONCILE_SWEEP_SIZE;

  const reconciler = new Reconciler(
    {
      candidates: async (cursor) => {
        const { rows } = await pool.query<{
          id: string;
          like_count: number;
          source: ReconcileCandidate['source'];
          requested_at: Date | null;
        }>(
          prepared('reconcile-candidates', [
            sweep,
            `${Math.max(60, Math.ceil((interval * 10) / 1000))} seconds`,
            sweep,
            cursor,
            sweep,
          ]),
        );
        return rows.map((r) => ({
          postId: r.id,
          truthCount: r.like_count,
          source: r.source,
          ...(r.requested_at ? { requestedAt: r.requested_at } : {}),
        }));
      },
      loadSnapshot: (postId) => truth.loadSnapshot(postId),
      drainRepair: async (postId, requestedAt) => {
        await pool.query(prepared('delete-repair', [postId, requestedAt]));
      },
    },
    {
      count: (postId) => speed.count(postId),
      replace: async (snapshot) => {
        await speed.install(snapshot, 'replace');
      },
    },
    systemClock,
    // A mismatch must hold across a full interval to count as drift rather than lag.
    interval,
  );

  let running = true;
  let lastPassOk = false;
  const metrics = await startMetricsServer(config, () => lastPassOk);
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  const tick = async () => {
    const end = reconcileTickDuration.startTimer();
    try {
      // Traced, a pass is one span with its counts. It is deliberately not made active: a pass reads hundreds
      // of posts, and a child span per Redis and Postgres call would flood the trace backend every interval.
      const span = tracingOn() ? tracer.startSpan('reconcile pass') : undefined;
      let r: Awaited<ReturnType<typeof reconciler.pass>>;
      try {
        r = await reconciler.pass();
        span?.setAttributes({ 'likepipe.reconcile.checked': r.checked, 'likepipe.reconcile.repaired': r.repaired });
      } catch (err) {
        if (span) failSpan(span, err);
        throw err;
      } finally {
        span?.end();
      }
      lastPassOk = true;
      for (const [verdict, n] of Object.entries(r.verdicts)) if (n > 0) reconcileChecks.inc({ verdict }, n);
      if (r.repaired > 0) {
        reconcileRepairs.inc(r.repaired);
        log.info('repaired Redis from Postgres', { repaired: r.repaired, checked: r.checked });
      }
    } catch (err) {
      lastPassOk = false;
      log.warn('reconcile pass failed; will retry', { err: err as Error });
    } finally {
      end();
    }
  };
  const loop = () => {
    if (!running) return;
    current = tick().finally(() => {
      current = undefined;
      if (running) timer = setTimeout(loop, interval);
    });
  };
  loop();
  log.info('reconciler running', { intervalMs: interval, sweepSize: sweep });

  return new Promise((resolve) => {
    onShutdown(log, async () => {
      running = false;
      if (timer) clearTimeout(timer);
      await current;
      await Promise.allSettled([redis.quit(), pool.end()]);
      metrics.close();
      resolve();
    });
  });
}
