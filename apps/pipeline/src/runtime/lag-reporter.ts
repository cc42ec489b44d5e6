import type { KafkaClients } from '../kafka/client.js';
import { readPartitionLags } from '../kafka/consumer-lag.js';
import type { Logger } from '../observability/logger.js';
import { consumerLagGauge } from '../observability/metrics.js';
import { startPeriodicTask } from './periodic-task.js';
import type { PartitionLag } from './stall-detector.js';

/**
 * Publishes `likepipe_kafka_consumer_lag{group,topic}` from a consumer role's own /metrics, every interval:
 * the metric the operator's lag HorizontalPodAutoscaler asks an external-metrics adapter for when KEDA is not
 * installed, and what a dashboard shows as "how far behind". Read through the admin API, so it keeps
 * reporting (growing) while the role's consumer is stuck; `onRead` gets each reading per partition (the
 * consumer runtime's stall watchdog), so one loop reads what both need.
 */
export function startLagReporter(
  kafka: KafkaClients,
  group: string,
  topic: string,
  intervalMs: number,
  log: Logger,
  onRead: (lags: PartitionLag[]) => void = () => undefined,
) {
  // Connects on first use and reconnects by itself, so a role started while Kafka is down reports once it is up.
  const admin = kafka.admin();
  const task = startPeriodicTask(
    intervalMs,
    async () => {
      const lags = await readPartitionLags(admin, group, topic);
      consumerLagGauge.set(
        { group, topic },
        lags.reduce((n, p) => n + p.lag, 0),
      );
      onRead(lags);
    },
    (err) => log.debug('could not read consumer lag', { err: err as Error }),
  );
  return {
    async stop() {
      await task.stop();
      await admin.close().catch(() => undefined);
    },
  };
}
