import type { KafkaSpec } from '../api/types.js';
import { roleDefault } from '../api/role-default.js';

/**
 * How many copies of the like-events topic there are, and how many must have a like before the producer's
 * acks=all answers, when the LikePipeline leaves `kafka.replicationFactor` / `kafka.minInSyncReplicas` out.
 * A fixed default of 1 would let `brokers: 3` run a topic whose every partition lives on one broker, so the
 * default follows the brokers the operator runs. Resolved here, once, for every object that carries them
 * (server.properties, the ensure-topic environment, Strimzi's Kafka and KafkaTopic) and for the CRD's
 * descriptions and validation rules.
 */

/**
 * Three copies with a min ISR of two: one broker can be down (lost, or rolling) and likes are still accepted,
 * each on two brokers before it counts. More copies would only cost disk and produce latency.
 */
export const DERIVED_REPLICATION_FACTOR_CAP = 3;
/**
 * From three copies up. With two copies a min ISR of 2 would stop every write while either broker is down, so
 * fewer than three keep 1: the topic stays writable, with no more durability than its copies give.
 */
export const DURABLE_MIN_INSYNC_REPLICAS = 2;
/**
 * External mode's replication factor when unset: the operator cannot see that cluster's brokers, so it keeps
 * what ensure-topic would do on its own (the contract's default) and the CRD tells users to set it.
 */
export const EXTERNAL_DEFAULT_REPLICATION_FACTOR = roleDefault('ensure-topic', 'LIKEPIPE_KAFKA_REPLICATION_FACTOR');

export interface KafkaReplication {
  replicationFactor: number;
  minInSyncReplicas: number;
}

export function defaultReplicationFactor(k: Pick<KafkaSpec, 'mode' | 'brokers'>): number {
  return k.mode === 'external'
    ? EXTERNAL_DEFAULT_REPLICATION_FACTOR
    : Math.min(DERIVED_REPLICATION_FACTOR_CAP, k.brokers);
}

export function defaultMinInSyncReplicas(replicationFactor: number): number {
  return replicationFactor >= DERIVED_REPLICATION_FACTOR_CAP ? DURABLE_MIN_INSYNC_REPLICAS : 1;
}

/** The replication the topic gets: explicit values as given, the rest derived from the mode and brokers. */
export function kafkaReplication(
  k: Pick<KafkaSpec, 'mode' | 'brokers' | 'replicationFactor' | 'minInSyncReplicas'>,
): KafkaReplication {
  const replicationFactor = k.replicationFactor ?? defaultReplicationFactor(k);
  return { replicationFactor, minInSyncReplicas: k.minInSyncReplicas ?? defaultMinInSyncReplicas(replicationFactor) };
}
