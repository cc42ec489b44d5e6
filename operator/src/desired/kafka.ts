import type { LikePipeline } from '../api/types.js';
import type { KubeObject } from '../kube/objects.js';
import { KAFKA_CONTROLLER_PORT, KAFKA_PORT } from './connections.js';
import { DATA_STORE_UID } from './images.js';
import { KAFKA_PATHS, kafkaLog4j2, kafkaServerProperties, kafkaStartScript } from './kafka-config.js';
import { kafkaReplication } from './kafka-replication.js';
import { labels, names, objectMeta, selectorLabels } from './meta.js';
import { containerSecurityContext, dataStorePodSpec, resourcesOr } from './pod.js';
import { hash, pdb, pvc } from './redis.js';

export { kafkaClusterId } from './kafka-config.js';

/** The ConfigMap of the builtin Kafka: everything the brokers run, as the operator rendered it. */
export const kafkaConfigData = (lp: LikePipeline): Record<string, string> => ({
  'server.properties': kafkaServerProperties(lp),
  'log4j2.properties': kafkaLog4j2(),
  'start.sh': kafkaStartScript(lp),
});

/** The builtin Kafka: brokers that are also KRaft controllers, as one StatefulSet behind a headless Service. */
export function builtinKafka(lp: LikePipeline): KubeObject[] {
  const n = names(lp);
  const k = lp.spec.kafka;
  const config = kafkaConfigData(lp);
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: objectMeta(lp, n.kafkaConfig, 'kafka'),
      data: config,
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(lp, n.kafka, 'kafka'),
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true, // controllers must reach each other to become ready at all
        selector: selectorLabels(lp, 'kafka'),
        ports: [
          { name: 'kafka', port: KAFKA_PORT, targetPort: KAFKA_PORT, protocol: 'TCP' },
          { name: 'controller', port: KAFKA_CONTROLLER_PORT, targetPort: KAFKA_CONTROLLER_PORT, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: objectMeta(lp, n.kafka, 'kafka'),
      spec: {
        serviceName: n.kafka,
        replicas: k.brokers,
        podManagementPolicy: 'Parallel', // a KRaft quorum needs its voters up together
        selector: { matchLabels: selectorLabels(lp, 'kafka') },
        template: {
          metadata: {
            labels: labels(lp, 'kafka'),
            // A config change must restart the brokers; the ConfigMap alone would not.
            annotations: { 'likepipe.io/config-hash': hash(JSON.stringify(config)) },
          },
          spec: {
            ...dataStorePodSpec(lp, DATA_STORE_UID.kafka),
            containers: [
              {
                name: 'kafka',
                image: k.image,
                command: ['sh', `${KAFKA_PATHS.config}/start.sh`],
                // The pod's name gives start.sh the node id and the advertised host.
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                ports: [
                  { name: 'kafka', containerPort: KAFKA_PORT, protocol: 'TCP' },
                  { name: 'controller', containerPort: KAFKA_CONTROLLER_PORT, protocol: 'TCP' },
                ],
                readinessProbe: { tcpSocket: { port: KAFKA_PORT }, periodSeconds: 5, failureThreshold: 6 },
                livenessProbe: {
                  tcpSocket: { port: KAFKA_CONTROLLER_PORT },
                  initialDelaySeconds: 60,
                  periodSeconds: 10,
                  failureThreshold: 6,
                },
                resources: resourcesOr(k.resources, {
                  requests: { cpu: '250m', memory: '1Gi' },
                  limits: { memory: '2Gi' },
                }),
                securityContext: containerSecurityContext(lp, true),
                volumeMounts: [
                  { name: 'data', mountPath: KAFKA_PATHS.data },
                  { name: 'config', mountPath: KAFKA_PATHS.config, readOnly: true },
                  { name: 'rendered', mountPath: KAFKA_PATHS.rendered },
                  // The JVM's temporary files (compression codecs unpack their native libraries there).
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: n.kafkaConfig } },
              { name: 'rendered', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
        volumeClaimTemplates: [pvc('data', k.storage)],
      },
    },
    pdb(lp, n.kafka, 'kafka'),
  ];
}

/**
 * Strimzi mode: a Kafka (KRaft, node pools), one dual-role KafkaNodePool and the topic as a KafkaTopic, all
 * kafka.strimzi.io/v1. Strimzi's Topic Operator then owns the topic, so no ensure-topic init container runs.
 */
export function strimziKafka(lp: LikePipeline): KubeObject[] {
  const n = names(lp);
  const k = lp.spec.kafka;
  const replication = kafkaReplication(k);
  const internalRf = Math.min(k.brokers, 3);
  const clusterLabel = { 'strimzi.io/cluster': n.strimziKafka };
  return [
    {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'Kafka',
      metadata: objectMeta(lp, n.strimziKafka, 'kafka'),
      spec: {
        kafka: {
          ...(k.strimzi?.version ? { version: k.strimzi.version } : {}),
          listeners: [{ name: 'plain', port: KAFKA_PORT, type: 'internal', tls: false }],
          config: {
            'default.replication.factor': replication.replicationFactor,
            'min.insync.replicas': replication.minInSyncReplicas,
            'offsets.topic.replication.factor': internalRf,
            'transaction.state.log.replication.factor': internalRf,
            'transaction.state.log.min.isr': Math.min(internalRf, 2),
            'auto.create.topics.enable': false,
          },
        },
        entityOperator: { topicOperator: {} },
      },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaNodePool',
      metadata: objectMeta(lp, n.strimziPool, 'kafka', { labels: clusterLabel }),
      spec: {
        replicas: k.brokers,
        roles: ['controller', 'broker'],
        // Strimzi v1 sizes brokers per node pool; Kafka.spec.kafka has no resources any more.
        ...(k.resources ? { resources: k.resources } : {}),
        storage: {
          type: 'persistent-claim',
          size: k.storage.size,
          ...(k.storage.storageClassName ? { class: k.storage.storageClassName } : {}),
          deleteClaim: false,
        },
      },
    },
    {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: objectMeta(lp, n.strimziTopic, 'kafka', { labels: clusterLabel }),
      spec: {
        topicName: k.topic,
        partitions: k.partitions,
        replicas: replication.replicationFactor,
        config: { 'min.insync.replicas': replication.minInSyncReplicas },
      },
    },
  ];
}
