import { POD_METRICS_PORT, SCRAPE_LABELS, type Role } from '@likepipe/contract';
import { ruleGroups } from '@likepipe/monitoring';
import type { LikePipeline } from '../api/types.js';
import type { KubeObject } from '../kube/objects.js';
import type { Relabeling } from '../kube/third-party/prometheus.js';
import { METRICS_LABEL, METRICS_SERVICE_LABEL, names, objectMeta, PIPELINE_LABEL, type Component } from './meta.js';

/** The role a component's pods run, where the two names differ (the dashboards and rules speak in roles). */
const ROLE_OF_COMPONENT: Partial<Record<Component, Role>> = {
  api: 'like-api',
  'redis-keeper': 'redis-cluster-keeper',
};

/** Prometheus' name for the pod label `label` in service discovery metadata. */
const podLabel = (label: string) => `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;

/**
 * Every scrape gets the SCRAPE_LABELS the dashboards and rules filter by: `pipeline` and `role` from the pod's
 * labels (the Prometheus Operator adds `namespace`, `pod` and `instance` itself).
 */
export const scrapeRelabelings = (): Relabeling[] => [
  { sourceLabels: [podLabel(PIPELINE_LABEL)], targetLabel: SCRAPE_LABELS.pipeline },
  { sourceLabels: [podLabel('app.kubernetes.io/component')], targetLabel: SCRAPE_LABELS.role },
  ...Object.entries(ROLE_OF_COMPONENT).map(([component, role]) => ({
    sourceLabels: [SCRAPE_LABELS.role],
    regex: component,
    targetLabel: SCRAPE_LABELS.role,
    replacement: role,
  })),
];

/**
 * A headless Service over every consumer pod's metrics port; when asked and the Prometheus Operator's CRDs are
 * installed, a ServiceMonitor that scrapes it and the API Service, and a PrometheusRule with the pipeline's own
 * SLI recording rules and alerts (scoped to its namespace and name, so pipelines never see each other's series).
 */
export function monitoringObjects(
  lp: LikePipeline,
  crds: { serviceMonitor: boolean; prometheusRule: boolean },
): KubeObject[] {
  const n = names(lp);
  const { serviceMonitor: sm, prometheusRule: pr } = lp.spec.monitoring;
  const out: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(lp, n.metrics, 'metrics', { labels: { [METRICS_SERVICE_LABEL]: 'true' } }),
      spec: {
        clusterIP: 'None',
        selector: { [PIPELINE_LABEL]: lp.metadata.name, [METRICS_LABEL]: 'true' },
        ports: [{ name: 'metrics', port: POD_METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }],
      },
    },
  ];
  if (sm.enabled && crds.serviceMonitor) {
    out.push({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: objectMeta(lp, n.metrics, 'metrics', { labels: sm.labels ?? {} }),
      spec: {
        selector: { matchLabels: { [PIPELINE_LABEL]: lp.metadata.name, [METRICS_SERVICE_LABEL]: 'true' } },
        endpoints: ['http', 'metrics'].map((port) => ({
          port,
          path: '/metrics',
          interval: sm.interval,
          relabelings: scrapeRelabelings(),
        })),
      },
    });
  }
  if (pr.enabled && crds.prometheusRule) {
    out.push({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: objectMeta(lp, n.metrics, 'metrics', { labels: pr.labels ?? {} }),
      spec: {
        groups: ruleGroups({
          runbookBaseUrl: pr.runbookBaseURL,
          scope: { namespace: lp.metadata.namespace, pipeline: lp.metadata.name },
        }),
      },
    });
  }
  return out;
}
