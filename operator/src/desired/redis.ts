import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { LikePipeline, Storage } from '../api/types.js';
import type { Deployment, KubeObject, PodDisruptionBudget } from '../kube/objects.js';
import { podHosts, REDIS_PORT, redisNodeCount } from './connections.js';
import { labels, names, objectMeta, selectorLabels, type Component } from './meta.js';
import { metricsEnv, roleEnv } from './env.js';
import { DATA_STORE_UID } from './images.js';
import {
  containerSecurityContext,
  dataStorePodSpec,
  METRICS_CONTAINER_PORT,
  pipelinePodLabels,
  podSpecBase,
  resourcesOr,
  roleContainer,
} from './pod.js';

/** redis.conf of every node. Hostnames, not IPs, are announced: pods keep their DNS name across restarts. */
export function redisConf(lp: LikePipeline): string {
  const r = lp.spec.redis;
  return [
    `port ${REDIS_PORT}`,
    'bind 0.0.0.0',
    'protected-mode no',
    'cluster-enabled yes',
    'cluster-config-file /data/nodes.conf',
    'cluster-node-timeout 5000',
    'cluster-preferred-endpoint-type hostname',
    'appendonly yes',
    'dir /data',
    `maxmemory ${r.maxmemory}`,
    `maxmemory-policy ${r.evictionPolicy}`,
    '',
  ].join('\n');
}

/** The builtin Redis Cluster: config, headless Service, StatefulSet, PDB and the keeper that forms the cluster. */
export function builtinRedis(lp: LikePipeline): KubeObject[] {
  const n = names(lp);
  const r = lp.spec.redis;
  const count = redisNodeCount(lp);
  const ns = lp.metadata.namespace;
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: objectMeta(lp, n.redisConfig, 'redis'),
      data: { 'redis.conf': redisConf(lp) },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(lp, n.redis, 'redis'),
      spec: {
        clusterIP: 'None',
        // Nodes must find each other before they are ready: the cluster forms from not-yet-ready pods.
        publishNotReadyAddresses: true,
        selector: selectorLabels(lp, 'redis'),
        ports: [
          { name: 'redis', port: REDIS_PORT, targetPort: REDIS_PORT, protocol: 'TCP' },
          { name: 'bus', port: REDIS_PORT + 10000, targetPort: REDIS_PORT + 10000, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: objectMeta(lp, n.redis, 'redis'),
      spec: {
        serviceName: n.redis,
        replicas: count,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selectorLabels(lp, 'redis') },
        template: {
          metadata: {
            labels: labels(lp, 'redis'),
            // A config change must restart the nodes; the ConfigMap alone would not.
            annotations: { 'likepipe.io/config-hash': hash(redisConf(lp)) },
          },
          spec: {
            ...dataStorePodSpec(lp, DATA_STORE_UID.redis),
            containers: [
              {
                name: 'redis',
                image: r.image,
                // redis-server and redis-cli by name: Debian's (likepipe/redis) and the official image's alike.
                command: ['redis-server'],
                args: ['/etc/redis/redis.conf', '--cluster-announce-hostname', `$(POD_NAME).${n.redis}.${ns}.svc`],
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                ports: [
                  { name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' },
                  { name: 'bus', containerPort: REDIS_PORT + 10000, protocol: 'TCP' },
                ],
                readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 5, timeoutSeconds: 3 },
                livenessProbe: {
                  tcpSocket: { port: REDIS_PORT },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  failureThreshold: 6,
                },
                resources: resourcesOr(r.resources, {
                  requests: { cpu: '100m', memory: '256Mi' },
                  limits: { memory: '512Mi' },
                }),
                // Redis writes only its dir (AOF, nodes.conf), so the root filesystem can be read-only.
                securityContext: containerSecurityContext(lp, true),
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'config', mountPath: '/etc/redis', readOnly: true },
                ],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: n.redisConfig } }],
          },
        },
        volumeClaimTemplates: [pvc('data', r.storage)],
      },
    },
    pdb(lp, n.redis, 'redis'),
    redisKeeper(lp),
  ];
}

/** One replica that forms the cluster and re-meets nodes that restarted with a new IP (role redis-cluster-keeper). */
function redisKeeper(lp: LikePipeline): Deployment {
  const n = names(lp);
  const r = lp.spec.redis;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(lp, n.redisKeeper, 'redis-keeper'),
    spec: {
      replicas: 1,
      // Two keepers must never act at once: stop the old before starting the new.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selectorLabels(lp, 'redis-keeper') },
      template: {
        metadata: { labels: { ...labels(lp, 'redis-keeper'), ...pipelinePodLabels() } },
        spec: {
          ...podSpecBase(lp),
          containers: [
            roleContainer(
              lp,
              'redis-cluster-keeper',
              [
                ...roleEnv('redis-cluster-keeper', {
                  LIKEPIPE_REDIS_NODES: podHosts(lp, n.redis, redisNodeCount(lp), REDIS_PORT).join(','),
                  LIKEPIPE_REDIS_SHARDS: r.shards,
                  LIKEPIPE_REDIS_REPLICAS_PER_SHARD: r.replicasPerShard,
                }),
                ...metricsEnv('redis-cluster-keeper'),
              ],
              {
                resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
                ports: [METRICS_CONTAINER_PORT],
              },
            ),
          ],
        },
      },
    },
  };
}

export function pvc(name: string, storage: Storage): V1PersistentVolumeClaim {
  return {
    metadata: { name },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
      resources: { requests: { storage: storage.size } },
    },
  };
}

/** At most one pod of a component down at a time through voluntary disruptions (drains, upgrades). */
export function pdb(lp: LikePipeline, name: string, component: Component): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(lp, name, component),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(lp, component) } },
  };
}

/** A short content hash (FNV-1a): pod-template annotations that change when mounted config changes. */
export function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
