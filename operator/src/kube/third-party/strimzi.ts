import type { OwnedMeta, Resources } from '../objects.js';

/**
 * kafka.strimzi.io/v1 (Strimzi): the fields of Kafka, KafkaNodePool and KafkaTopic the operator sets. Not the
 * whole API: Strimzi's CRDs validate the rest, and an object literal typed with these interfaces cannot carry a
 * field they do not name.
 */
export type StrimziApiVersion = 'kafka.strimzi.io/v1';

/** Broker configuration (server.properties keys); Strimzi passes the values through. */
export type KafkaConfig = { [key: string]: string | number | boolean };

export interface KafkaListener {
  name: string;
  port: number;
  type: 'internal' | 'route' | 'loadbalancer' | 'nodeport' | 'ingress' | 'cluster-ip';
  tls: boolean;
}

export interface Kafka {
  apiVersion: StrimziApiVersion;
  kind: 'Kafka';
  metadata: OwnedMeta;
  spec: {
    kafka: { version?: string; listeners: KafkaListener[]; config: KafkaConfig };
    /** The Topic Operator (with Strimzi's defaults) owns the KafkaTopic. */
    entityOperator: { topicOperator: Record<string, never> };
  };
}

export interface KafkaNodePool {
  apiVersion: StrimziApiVersion;
  kind: 'KafkaNodePool';
  metadata: OwnedMeta;
  spec: {
    replicas: number;
    roles: ('controller' | 'broker')[];
    resources?: Resources;
    storage: { type: 'persistent-claim'; size: string; class?: string; deleteClaim: boolean };
  };
}

export interface KafkaTopic {
  apiVersion: StrimziApiVersion;
  kind: 'KafkaTopic';
  metadata: OwnedMeta;
  spec: { topicName: string; partitions: number; replicas: number; config: KafkaConfig };
}
