import { Kafka, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../observability/logger.js';

/** A kafkajs client whose own logs go through our JSON logger at warn and above (its info level is chatty). */
export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const fields = { kafka: rest.logger ?? 'kafkajs', broker: rest.broker, error: rest.error };
        if (level <= KafkaLogLevel.ERROR) log.error(message, fields);
        else log.warn(message, fields);
      },
  });
}
