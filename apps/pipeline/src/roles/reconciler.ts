import { Reconciler, systemClock } from '@likepipe/core';
import type { ReconcilerConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { reconcileChecks, reconcileRepairs, reconcileTickDuration } from '../observability/metrics.js';
import { failSpan, tracer } from '../observability/spans.js';
import { tracingOn } from '../observability/tracing.js';
import { PgReconcileStore } from '../postgres/reconcile-store.js';
import { RedisSpeedLayer } from '../redis/speed-layer.js';
import { createBreaker } from '../resilience/breaker.js';
import { startPeriodicTask } from '../runtime/periodic-task.js';
import { RoleProcess } from '../runtime/role-process.js';

/** The reconciler role: every interval, one bounded pass of Redis repair from Postgres. */
export async function runReconciler(config: ReconcilerConfig, log: Logger): Promise<void> {
  const proc = new RoleProcess('reconciler', log);
  const interval = config.LIKEPIPE_RECONCILE_INTERVAL_MS;
  const sweep = config.LIKEPIPE_RECONCILE_SWEEP_SIZE;
  const truth = new PgReconcileStore(proc.pool(config.DATABASE_URL, 2), sweep, interval);
  const redis = proc.redis(config.REDIS_CLUSTER_NODES, { commandTimeoutMs: 5_000, failFast: true });
  const speed = new RedisSpeedLayer(redis, createBreaker({ name: 'redis', timeoutMs: 10_000 }));
  const reconciler = new Reconciler(
    truth,
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

  let lastPassOk = false;
  await proc.serveMetrics(config, () => lastPassOk);
  const pass = async () => {
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
    } finally {
      end();
    }
  };
  const passes = startPeriodicTask(interval, pass, (err) => {
    lastPassOk = false;
    log.warn('reconcile pass failed; will retry', { err: err as Error });
  });
  proc.onStop(() => passes.stop());
  return proc.run({ intervalMs: interval, sweepSize: sweep });
}
