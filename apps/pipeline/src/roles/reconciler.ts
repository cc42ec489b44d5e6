import { consumerGroup } from '@likepipe/contract';
import { committedUpTo } from '@likepipe/ops';
import { Reconciler, systemClock, type TruthFreshness } from '@likepipe/core';
import type { Admin } from '@platformatic/kafka';
import type { ReconcilerConfig } from '../config.js';
import { readCommittedOffsets, readTopicEnds, type PartitionEnds } from '../kafka/consumer-lag.js';
import type { Logger } from '../observability/logger.js';
import { reconcileChecks, reconcileRepairs, reconcileTickDuration } from '../observability/metrics.js';
import { failSpan, tracer } from '../observability/spans.js';
import { tracingOn } from '../observability/tracing.js';
import { PgReconcileStore } from '../postgres/reconcile-store.js';
import { RedisSpeedLayer } from '../redis/speed-layer.js';
import { createBreaker } from '../resilience/breaker.js';
import { startPeriodicTask } from '../runtime/periodic-task.js';
import { RoleProcess } from '../runtime/role-process.js';

/** A Kafka that does not answer must not stall the passes for the client's retries; unknown counts as behind. */
const FRESHNESS_TIMEOUT_MS = 5_000;

/**
 * The truth is caught up when the truth-writer's group has committed, on every partition, at least the end
 * offsets read at the previous pass (it commits only after the Postgres transaction holding those events):
 * everything on the topic a pass ago is in Postgres, so a mismatch that held since then is drift, not lag. Not
 * "lag is zero now", which a busy topic may never be: drift on a quiet post would never be repaired while other
 * posts are liked. The admin connects on first use (and again after a failure), so a reconciler started while
 * Kafka is down still runs its passes (holding repairs) and picks Kafka up when it is back.
 */
function truthWriterFreshness(admin: Admin, topic: string, log: Logger): TruthFreshness {
  let marks: PartitionEnds[] | undefined;
  const read = async () => {
    const [ends, committed] = await Promise.all([
      readTopicEnds(admin, topic),
      readCommittedOffsets(admin, consumerGroup('truth-writer'), topic),
    ]);
    const caughtUp = marks !== undefined && committedUpTo(marks, committed);
    marks = ends;
    return caughtUp;
  };
  return {
    async caughtUp() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('consumer offsets read timed out')), FRESHNESS_TIMEOUT_MS);
      });
      try {
        return await Promise.race([read(), timeout]);
      } catch (err) {
        // Unknown counts as behind; the next pass reads fresh marks.
        marks = undefined;
        log.debug('could not read the truth-writer offsets; holding repairs', { err: err as Error });
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The reconciler role: every interval, one bounded pass of Redis repair from Postgres. */
export async function runReconciler(config: ReconcilerConfig, log: Logger): Promise<void> {
  const proc = new RoleProcess('reconciler', log);
  const interval = config.LIKEPIPE_RECONCILE_INTERVAL_MS;
  const sweep = config.LIKEPIPE_RECONCILE_SWEEP_SIZE;
  const truth = new PgReconcileStore(proc.pool(config.DATABASE_URL, 2), sweep, interval);
  const redis = proc.redis(config.REDIS_CLUSTER_NODES, { commandTimeoutMs: 5_000, failFast: true });
  const speed = new RedisSpeedLayer(redis, createBreaker({ name: 'redis', timeoutMs: 10_000 }));
  const admin = proc.kafka(config.KAFKA_BROKERS).admin();
  const freshness = truthWriterFreshness(admin, config.LIKEPIPE_KAFKA_TOPIC, log);
  const reconciler = new Reconciler(
    truth,
    {
      count: (postId) => speed.count(postId),
      replace: async (postId, load) => (await speed.replaceFromTruth(postId, load)) !== null,
    },
    freshness,
    systemClock,
    // Passes run every half interval and a mismatch must hold across one to count as drift: after the
    // pipeline goes quiet, the first pass sees it within half an interval and the next repairs it, so the API
    // serves Postgres' count within one reconcile period (invariant 2). With a full interval each, it took up
    // to two (measured by the failover load test's audit).
    interval / 2,
    config.LIKEPIPE_HOT_POST_COLD_MS,
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
      if (r.unsplit > 0) log.info('un-split cooled posts', { unsplit: r.unsplit });
      if (r.repaired > 0) {
        reconcileRepairs.inc(r.repaired);
        log.info('repaired Redis from Postgres', { repaired: r.repaired, checked: r.checked });
      }
    } finally {
      end();
    }
  };
  const passes = startPeriodicTask(interval / 2, pass, (err) => {
    lastPassOk = false;
    log.warn('reconcile pass failed; will retry', { err: err as Error });
  });
  // Registered first so it runs after the passes have stopped: a pass in progress may still be reading lag.
  proc.onStop(() => admin.close().catch(() => undefined));
  proc.onStop(() => passes.stop());
  return proc.run({ intervalMs: interval, sweepSize: sweep });
}
