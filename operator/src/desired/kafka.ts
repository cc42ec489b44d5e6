import type { LikePipeline } from '../api/types.js';
import type { KubeObject } from '../kube/objects.js';
import { KAFKA_CONTROLLER_PORT, KAFKA_PORT } from './connections.js';
import { labels, names, objectMeta, selectorLabels } from './meta.js';
import { imageEnv } from './env.js';
import { containerSecurityContext, dataStorePodSpec, resourcesOr } from './pod.js';
import { pdb, pvc } from './redis.js';

const KAFKA_UID = 1000; // appuser in the apache/kafka image

/**
 * KRaft needs a cluster id of 16 bytes in URL-safe base64. Derived from the LikePipeline's uid so it is stable
 * for the life of the resource and different for a re-created one (whose old volumes must not be reused).
 */
export function kafkaClusterId(uid: string): string {
  const hex = uid.replace(/-/g, '').padEnd(32, '0').slice(0, 32);
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** The builtin Kafka: brokers that are also KRaft controllers, as one StatefulSet behind a headless Service. */
export function builtinKafka(lp: LikePipeline): KubeObject[] {
  const n = names(lp);
  const k = lp.spec.kafka;
  const ns = lp.metadata.namespace;
  const host = (i: number | string) => `${n.kafka}-${i}.${n.kafka}.${ns}.svc`;
  const voters = Array.from({ length: k.brokers }, (_, i) => `${i}@${host(i)}:${KAFKA_CONTROLLER_PORT}`).join(',');
  const internalRf = Math.min(k.brokers, 3);
  // The image reads KAFKA_* variables into server.properties. The node id is the pod's ordinal, which only the
  // pod knows, so a tiny shell prologue sets it before the image's entrypoint runs.
  const start =
    'export KAFKA_NODE_ID="${HOSTNAME##*-}"; ' +
    `export KAFKA_ADVERTISED_LISTENERS="PLAINTEXT://\${HOSTNAME}.${n.kafka}.${ns}.svc:${KAFKA_PORT}"; ` +
    'exec /etc/kafka/docker/run';
  return [
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
          metadata: { labels: labels(lp, 'kafka') },
          spec: {
            ...dataStorePodSpec(lp, KAFKA_UID),
            containers: [
              {
                name: 'kafka',
                image: k.image,
                command: ['sh', '-c', start],
                env: imageEnv({
                  CLUSTER_ID: kafkaClusterId(lp.metadata.uid),
                  KAFKA_PROCESS_ROLES: 'broker,controller',
                  KAFKA_LISTENERS: `PLAINTEXT://:${KAFKA_PORT},CONTROLLER://:${KAFKA_CONTROLLER_PORT}`,
                  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
                  KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
                  KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
                  KAFKA_CONTROLLER_QUORUM_VOTERS: voters,
                  KAFKA_LOG_DIRS: '/var/lib/kafka/data/logs',
                  KAFKA_NUM_PARTITIONS: k.partitions,
                  KAFKA_DEFAULT_REPLICATION_FACTOR: k.replicationFactor,
                  KAFKA_MIN_INSYNC_REPLICAS: k.minInSyncReplicas,
                  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: internalRf,
                  KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: internalRf,
                  KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: Math.min(internalRf, 2),
                  KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
                  KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: 0,
                }),
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
                securityContext: containerSecurityContext(lp, false),
                volumeMounts: [{ name: 'data', mountPath: '/var/lib/kafka/data' }],
              },
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
            'default.replication.factor': k.replicationFactor,
            'min.insync.replicas': k.minInSyncReplicas,
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
        replicas: k.replicationFactor,
        config: { 'min.insync.replicas': k.minInSyncReplicas },
      },
    },
  ];
}
