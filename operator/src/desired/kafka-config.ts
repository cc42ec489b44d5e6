import type { LikePipeline } from '../api/types.js';
import { KAFKA_CONTROLLER_PORT, KAFKA_PORT } from './connections.js';
import { kafkaReplication } from './kafka-replication.js';
import { names } from './meta.js';

/**
 * Where things are in a builtin Kafka pod. The operator owns the broker's configuration and command: the image
 * needs only `java` on PATH and Kafka's jars in `libs` (images/kafka/Dockerfile; the official apache/kafka 4.x
 * image has both too).
 */
export const KAFKA_PATHS = {
  /** The ConfigMap: server.properties (a template), log4j2.properties, start.sh. */
  config: '/etc/likepipe/kafka',
  /** The PersistentVolumeClaim; log.dirs is logs/ in it, the layout the apache/kafka image's KAFKA_LOG_DIRS had. */
  data: '/var/lib/kafka/data',
  /** An emptyDir: this broker's server.properties, rendered by start.sh (the root filesystem is read-only). */
  rendered: '/var/run/kafka',
  libs: '/opt/kafka/libs',
} as const;

/** Placeholders in the server.properties template that only the pod can fill in; start.sh replaces them. */
export const KAFKA_NODE_ID = '@NODE_ID@';
export const KAFKA_POD_NAME = '@POD_NAME@';

/**
 * KRaft needs a cluster id of 16 bytes in URL-safe base64. Derived from the LikePipeline's uid so it is stable
 * for the life of the resource and different for a re-created one (whose old volumes must not be reused).
 */
export function kafkaClusterId(uid: string): string {
  const hex = uid.replace(/-/g, '').padEnd(32, '0').slice(0, 32);
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** The DNS name of broker `i` (or of the pod whose name is `i`) behind the headless Service. */
const brokerHost = (lp: LikePipeline, i: number | string) =>
  `${names(lp).kafka}-${i}.${names(lp).kafka}.${lp.metadata.namespace}.svc`;

/**
 * server.properties of every broker, which is also a KRaft controller. Brokers differ only in node.id (the pod's
 * ordinal) and the advertised host (the pod's DNS name), left as placeholders for start.sh.
 */
export function kafkaServerProperties(lp: LikePipeline): string {
  const k = lp.spec.kafka;
  const replication = kafkaReplication(k);
  const voters = Array.from({ length: k.brokers }, (_, i) => `${i}@${brokerHost(lp, i)}:${KAFKA_CONTROLLER_PORT}`);
  // Internal topics default to RF 3 and would never be created on fewer brokers.
  const internalRf = Math.min(k.brokers, 3);
  const internalIsr = Math.min(internalRf, 2);
  const ownHost = `${KAFKA_POD_NAME}.${names(lp).kafka}.${lp.metadata.namespace}.svc`;
  return [
    `# Rendered by the LikePipeline operator for ${lp.metadata.namespace}/${lp.metadata.name}.`,
    `# start.sh fills in ${KAFKA_NODE_ID} and ${KAFKA_POD_NAME} for its pod.`,
    'process.roles=broker,controller',
    `node.id=${KAFKA_NODE_ID}`,
    // A static voter set: every broker knows the quorum from the start, no --standalone bootstrap at format time.
    `controller.quorum.voters=${voters.join(',')}`,
    `listeners=PLAINTEXT://:${KAFKA_PORT},CONTROLLER://:${KAFKA_CONTROLLER_PORT}`,
    `advertised.listeners=PLAINTEXT://${ownHost}:${KAFKA_PORT}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${KAFKA_PATHS.data}/logs`,
    `num.partitions=${k.partitions}`,
    `default.replication.factor=${replication.replicationFactor}`,
    `min.insync.replicas=${replication.minInSyncReplicas}`,
    `offsets.topic.replication.factor=${internalRf}`,
    `transaction.state.log.replication.factor=${internalRf}`,
    `transaction.state.log.min.isr=${internalIsr}`,
    `share.coordinator.state.topic.replication.factor=${internalRf}`,
    `share.coordinator.state.topic.min.isr=${internalIsr}`,
    // The topic is created by the ensure-topic init container with its partitions and replication, never by a client.
    'auto.create.topics.enable=false',
    // A consumer group should not wait 3 s for more members before it gets partitions.
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

/** Broker and tool logging: INFO on stdout, where `kubectl logs` reads it; per-request logging is noise. */
export function kafkaLog4j2(): string {
  return [
    'appender.stdout.type = Console',
    'appender.stdout.name = stdout',
    'appender.stdout.layout.type = PatternLayout',
    'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.stdout.ref = stdout',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.requestchannel.name = kafka.network.RequestChannel$',
    'logger.requestchannel.level = WARN',
    '',
  ].join('\n');
}

/**
 * The container's command: render this broker's server.properties, format the log directory once with the
 * cluster id the operator derives, then exec the broker. POSIX sh (dash in the Debian image, busybox in
 * apache/kafka's). POD_NAME comes from the downward API; nothing else is read from the environment.
 */
export function kafkaStartScript(lp: LikePipeline): string {
  const p = KAFKA_PATHS;
  const rendered = `${p.rendered}/server.properties`;
  const cp = `'${p.libs}/*'`;
  return [
    '#!/bin/sh',
    `# Rendered by the LikePipeline operator for ${lp.metadata.namespace}/${lp.metadata.name}.`,
    '# Starts one broker of the StatefulSet. POD_NAME is the pod (downward API); its ordinal is the node id.',
    'set -eu',
    'node_id=${POD_NAME##*-}',
    'case "$node_id" in',
    `  '' | *[!0-9]*) echo "start.sh: pod name '$POD_NAME' does not end in an ordinal" >&2; exit 1 ;;`,
    'esac',
    `sed -e "s/${KAFKA_NODE_ID}/$node_id/g" -e "s/${KAFKA_POD_NAME}/$POD_NAME/g" \\`,
    `  ${p.config}/server.properties >${rendered}`,
    `log4j="-Dlog4j2.configurationFile=${p.config}/log4j2.properties"`,
    '# Once: a formatted log directory has meta.properties (and --ignore-formatted covers a race with a restart).',
    `if [ ! -f ${p.data}/logs/meta.properties ]; then`,
    `  java -Xmx256m -Djava.awt.headless=true "$log4j" -cp ${cp} kafka.tools.StorageTool format \\`,
    `    --cluster-id ${kafkaClusterId(lp.metadata.uid)} --config ${rendered} --ignore-formatted`,
    'fi',
    "# Kafka's own start script's heap and GC settings (kafka-server-start.sh, kafka-run-class.sh).",
    'exec java -Xms1g -Xmx1g -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \\',
    '  -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true "$log4j" \\',
    `  -cp ${cp} kafka.Kafka ${rendered}`,
    '',
  ].join('\n');
}
