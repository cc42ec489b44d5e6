import type { OwnedMeta } from '../objects.js';

/** keda.sh/v1alpha1 (KEDA): the fields of a ScaledObject with a Kafka trigger that the operator sets. */
export interface ScaledObject {
  apiVersion: 'keda.sh/v1alpha1';
  kind: 'ScaledObject';
  metadata: OwnedMeta;
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    pollingInterval: number;
    cooldownPeriod: number;
    triggers: KafkaTrigger[];
  };
}

/** KEDA's Kafka scaler. Its metadata values are strings, numbers and booleans included. */
export interface KafkaTrigger {
  type: 'kafka';
  metadata: {
    bootstrapServers: string;
    consumerGroup: string;
    topic: string;
    lagThreshold: string;
    allowIdleConsumers: 'true' | 'false';
  };
}
