import type { NotifierConfig } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { startLagReporter } from '../kafka/lag-reporter.js';
import { runOncePerOffsetConsumer } from '../kafka/once-per-offset-consumer.js';
import type { Logger } from '../observability/logger.js';
import { notifierBatches, notifierEvents } from '../observability/metrics.js';
import { PgNotificationStore } from '../postgres/notification-store.js';
import { createPool } from '../postgres/pool.js';
import { startMetricsServer } from './metrics-server.js';
import { NotificationPusher } from './notification-pusher.js';
import { onShutdown } from './shutdown.js';

export const NOTIFIER_GROUP = 'likepipe-notifier';

/**
 * The notifier role: tells a post's author who liked it, one notification per post per window (coalesced in
 * Postgres, one transaction per flush, exact under replay), and, when a webhook is set,
 * pushes each closed window once.
 */
export async function runNotifier(config: NotifierConfig, log: Logger): Promise<void> {
  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'likepipe-notifier' });
  const store = new PgNotificationStore(pool);
  const kafka = createKafka(config.KAFKA_BROKERS, 'likepipe-notifier', log);
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
  const metrics = await startMetricsServer(config, () => running);
  const consumer = await runOncePerOffsetConsumer({
    kafka,
    group: NOTIFIER_GROUP,
    topic: config.LIKEPIPE_KAFKA_TOPIC,
    sessionTimeoutMs: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
    flushIntervalMs: config.LIKEPIPE_FLUSH_INTERVAL_MS,
    batchSize: config.LIKEPIPE_BATCH_SIZE,
    name: 'notifier',
    log,
    apply: async (batches) => {
      try {
        const r = await store.apply(batches, config.LIKEPIPE_NOTIFY_WINDOW_MS);
        notifierBatches.inc({ outcome: 'ok' });
        notifierEvents.inc({ outcome: 'applied' }, r.applied);
        if (r.skipped > 0) notifierEvents.inc({ outcome: 'skipped' }, r.skipped);
      } catch (err) {
        notifierBatches.inc({ outcome: 'error' });
        throw err;
      }
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
