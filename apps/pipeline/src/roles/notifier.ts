import { parseLikeEvent, type LikeEvent } from '@likepipe/core';
import type { NotifierConfig } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { startLagReporter } from '../kafka/lag-reporter.js';
import type { Logger } from '../observability/logger.js';
import { malformedEvents, notifierBatches, notifierEvents } from '../observability/metrics.js';
import type { PartitionBatch } from '../postgres/consumer-progress.js';
import { PgNotificationStore } from '../postgres/notification-store.js';
import { createPool } from '../postgres/pool.js';
import { startMetricsServer } from './metrics-server.js';
import { NotificationPusher } from './notification-pusher.js';
import { onShutdown } from './shutdown.js';

export const NOTIFIER_GROUP = 'likepipe-notifier';

/**
 * The notifier role: tells a post's author who liked it, one notification per post per window (coalesced in
 * Postgres, one transaction per fetched partition batch, exact under replay), and, when a webhook is set,
 * pushes each closed window once.
 */
export async function runNotifier(config: NotifierConfig, log: Logger): Promise<void> {
  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'likepipe-notifier' });
  const store = new PgNotificationStore(pool);
  const kafka = createKafka(config.KAFKA_BROKERS, 'likepipe-notifier', log);
  const consumer = kafka.consumer({
    groupId: NOTIFIER_GROUP,
    sessionTimeout: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
  });
  const pusher = config.LIKEPIPE_NOTIFY_WEBHOOK_URL
    ? new NotificationPusher(
        store,
        {
          webhookUrl: config.LIKEPIPE_NOTIFY_WEBHOOK_URL,
          intervalMs: config.LIKEPIPE_NOTIFY_PUSH_INTERVAL_MS,
          timeoutMs: config.LIKEPIPE_NOTIFY_PUSH_TIMEOUT_MS,
          backoff: { baseMs: config.LIKEPIPE_NOTIFY_RETRY_BASE_MS, maxMs: config.LIKEPIPE_NOTIFY_RETRY_MAX_MS },
          batch: 100,
        },
        log,
      )
    : undefined;
  let running = false;

  const write = async (batch: PartitionBatch, isRunning: () => boolean): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await store.apply(batch, config.LIKEPIPE_NOTIFY_WINDOW_MS);
        notifierBatches.inc({ outcome: 'ok' });
        notifierEvents.inc({ outcome: 'applied' }, r.applied);
        if (r.skipped > 0) notifierEvents.inc({ outcome: 'skipped' }, r.skipped);
        return;
      } catch (err) {
        notifierBatches.inc({ outcome: 'error' });
        if (!isRunning()) throw err;
        const delay = Math.min(200 * 2 ** Math.min(attempt, 6), 10_000);
        log.warn('notification batch failed; retrying', { attempt, delayMs: delay, err: err as Error });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  const metrics = await startMetricsServer(config.LIKEPIPE_METRICS_PORT, () => running);
  await consumer.connect();
  await consumer.subscribe({ topic: config.LIKEPIPE_KAFKA_TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      if (batch.messages.length === 0) return;
      const records = batch.messages.map((m) => {
        let event: LikeEvent | null = null;
        try {
          event = parseLikeEvent(m.value);
        } catch (err) {
          malformedEvents.inc({ consumer: 'notifier' });
          log.warn('skipping malformed record', { partition: batch.partition, offset: m.offset, err: err as Error });
        }
        return { offset: BigInt(m.offset), event };
      });
      if (!isRunning() || isStale()) return;
      await write({ group: NOTIFIER_GROUP, topic: batch.topic, partition: batch.partition, records }, isRunning);
      resolveOffset(batch.lastOffset());
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      await heartbeat();
    },
  });
  pusher?.start();
  const lag = startLagReporter(kafka, NOTIFIER_GROUP, config.LIKEPIPE_KAFKA_TOPIC, 5_000, log);
  running = true;
  log.info('notifier running', {
    windowMs: config.LIKEPIPE_NOTIFY_WINDOW_MS,
    webhook: config.LIKEPIPE_NOTIFY_WEBHOOK_URL ? new URL(config.LIKEPIPE_NOTIFY_WEBHOOK_URL).origin : null,
  });

  return new Promise((resolve) => {
    onShutdown(log, async () => {
      running = false;
      await pusher?.stop();
      await consumer.disconnect();
      await lag.stop();
      await pool.end();
      metrics.close();
      resolve();
    });
  });
}
