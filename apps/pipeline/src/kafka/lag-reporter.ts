import { consumerLag } from '@likepipe/ops';
import type { Kafka } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import { consumerLagGauge } from '../observability/metrics.js';

/**
 * Publishes `likepipe_kafka_consumer_lag{group,topic}` from a consumer role's own /metrics, every interval:
 * the metric the operator's lag HorizontalPodAutoscaler asks an external-metrics adapter for when KEDA is not
 * installed, and what a dashboard shows as "how far behind". Read through the admin API, so it keeps
 * reporting (growing) while the role's consumer is stuck.
 */
export function startLagReporter(kafka: Kafka, group: string, topic: string, intervalMs: number, log: Logger) {
  const admin = kafka.admin();
  let connected = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      if (!connected) {
        await admin.connect();
        connected = true;
      }
      const [ends, offsets] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
      ]);
      const committed = offsets.find((t) => t.topic === topic)?.partitions ?? [];
      consumerLagGauge.set({ group, topic }, consumerLag(ends, committed));
    } catch (err) {
      log.debug('could not read consumer lag', { err: err as Error });
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (connected) await admin.disconnect().catch(() => undefined);
    },
  };
}
