import { API_PORT } from '@likepipe/contract';
import type { LikePipeline } from '../api/types.js';
import type { KubeObject } from '../kube/objects.js';
import type { Connections } from './connections.js';
import { labels, METRICS_SERVICE_LABEL, names, objectMeta, selectorLabels } from './meta.js';
import { dataEnv, roleEnv, secretEnv } from './env.js';
import { migrateInit, pipelinePodLabels, podSpecBase, roleContainer } from './pod.js';
import { pdb } from './redis.js';

/** The like-API: Deployment, Service, CPU autoscaler and PDB. */
export function apiObjects(lp: LikePipeline, c: Connections): KubeObject[] {
  const n = names(lp);
  const a = lp.spec.api;
  const container = roleContainer(
    lp,
    'like-api',
    [
      ...dataEnv('like-api', lp, c),
      ...roleEnv('like-api', {
        LIKEPIPE_API_HOST: '0.0.0.0',
        LIKEPIPE_API_PORT: API_PORT,
        // One process per pod: Kubernetes scales pods, and CPU-based autoscaling reads one process's usage.
        LIKEPIPE_API_WORKERS: 1,
        LIKEPIPE_RATE_LIMIT: a.rateLimit.perUser,
        LIKEPIPE_RATE_WINDOW_MS: a.rateLimit.windowSeconds * 1000,
        LIKEPIPE_IDEMPOTENCY_TTL_S: a.idempotencyTTLSeconds,
      }),
      secretEnv('like-api', 'LIKEPIPE_JWT_SECRET', a.jwtSecretRef),
    ],
    {
      image: a.image,
      resources: a.resources ?? { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      // The API serves /metrics, /healthz and /readyz on its own port.
      ports: [{ name: 'http', containerPort: API_PORT, protocol: 'TCP' }],
    },
  );
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: objectMeta(lp, n.api, 'api'),
      spec: {
        // No `replicas`: the HorizontalPodAutoscaler owns it; applying one would fight the autoscaler.
        selector: { matchLabels: selectorLabels(lp, 'api') },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
        template: {
          metadata: { labels: { ...labels(lp, 'api'), ...pipelinePodLabels(false) } },
          spec: {
            ...podSpecBase(lp),
            // The API drains for up to 25 s (Connection: close, in-flight likes made durable) before it exits.
            terminationGracePeriodSeconds: 40,
            initContainers: [migrateInit(lp, c)],
            containers: [
              {
                ...container,
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 2 },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 6 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(lp, n.api, 'api', { labels: { [METRICS_SERVICE_LABEL]: 'true' } }),
      spec: {
        type: a.service.type,
        selector: selectorLabels(lp, 'api'),
        ports: [{ name: 'http', port: a.service.port, targetPort: 'http', protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: objectMeta(lp, n.api, 'api'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: n.api },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.targetCPUUtilization } },
          },
        ],
        // A viral post arrives in seconds: scale up at once, scale down slowly so the next wave finds pods warm.
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
          scaleDown: { stabilizationWindowSeconds: 300 },
        },
      },
    },
    pdb(lp, n.api, 'api'),
  ];
}

export const apiEndpoint = (lp: LikePipeline) =>
  `http://${names(lp).api}.${lp.metadata.namespace}.svc:${lp.spec.api.service.port}`;
