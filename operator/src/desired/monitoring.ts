import { POD_METRICS_PORT } from '@likepipe/contract';
import type { LikePipeline } from '../api/types.js';
import type { KubeObject } from '../kube/objects.js';
import { METRICS_LABEL, METRICS_SERVICE_LABEL, names, objectMeta, PIPELINE_LABEL } from './meta.js';

/**
 * A headless Service over every consumer pod's metrics port, and (when asked and the Prometheus Operator's CRD
 * is installed) a ServiceMonitor that scrapes it and the API Service.
 */
export function monitoringObjects(lp: LikePipeline, serviceMonitorCrd: boolean): KubeObject[] {
  const n = names(lp);
  const sm = lp.spec.monitoring.serviceMonitor;
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
  if (sm.enabled && serviceMonitorCrd) {
    out.push({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: objectMeta(lp, n.metrics, 'metrics', { labels: sm.labels ?? {} }),
      spec: {
        selector: { matchLabels: { [PIPELINE_LABEL]: lp.metadata.name, [METRICS_SERVICE_LABEL]: 'true' } },
        endpoints: [
          { port: 'http', path: '/metrics', interval: sm.interval },
          { port: 'metrics', path: '/metrics', interval: sm.interval },
        ],
      },
    });
  }
  return out;
}
