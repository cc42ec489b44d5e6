import { consumerGroup } from '@likepipe/contract';
import type { NotifierConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { notifierBatches, notifierEvents } from '../observability/metrics.js';
import { PgNotificationStore } from '../postgres/notification-store.js';
import { startConsumer } from '../runtime/consumer-runtime.js';
import { countedApply } from '../runtime/counted-apply.js';
import { RoleProcess } from '../runtime/role-process.js';
import { NotificationPusher } from './notification-pusher.js';

/**
 * The notifier role: tells a post's author who liked it, one notification per post per window (coalesced in
 * Postgres, one transaction per flush, exact under replay), and, when a webhook is set,
 * pushes each closed window once.
 */
export async function runNotifier(config: NotifierConfig, log: Logger): Promise<void> {
  const proc = new RoleProcess('notifier', log);
  const store = new PgNotificationStore(proc.pool(config.DATABASE_URL, 4));
  await proc.serveMetrics(config);
  const consumer = await startConsumer({
    role: 'notifier',
    kafka: proc.kafka(config.KAFKA_BROKERS),
    config,
    log,
    apply: (batches) =>
      countedApply({ batches: notifierBatches, events: notifierEvents }, () =>
        store.apply(batches, config.LIKEPIPE_NOTIFY_WINDOW_MS),
      ),
  });
  proc.onStop(() => consumer.stop());
  proc.readyOnlyWhile(() => consumer.ready());
  if (config.LIKEPIPE_NOTIFY_WEBHOOK_URL) {
    const pusher = new NotificationPusher(
      store,
      {
        webhookUrl: config.LIKEPIPE_NOTIFY_WEBHOOK_URL,
        intervalMs: config.LIKEPIPE_NOTIFY_PUSH_INTERVAL_MS,
        timeoutMs: config.LIKEPIPE_NOTIFY_PUSH_TIMEOUT_MS,
        backoff: { baseMs: config.LIKEPIPE_NOTIFY_RETRY_BASE_MS, maxMs: config.LIKEPIPE_NOTIFY_RETRY_MAX_MS },
        batch: 100,
      },
      log,
    );
    pusher.start();
    // Registered after the consumer, so stopped before it.
    proc.onStop(() => pusher.stop());
  }
  return proc.run({
    group: consumerGroup('notifier'),
    windowMs: config.LIKEPIPE_NOTIFY_WINDOW_MS,
    webhook: config.LIKEPIPE_NOTIFY_WEBHOOK_URL ? new URL(config.LIKEPIPE_NOTIFY_WEBHOOK_URL).origin : null,
  });
}
