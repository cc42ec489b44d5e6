import type { V1LabelSelector } from '@kubernetes/client-node';
import type { OwnedMeta } from '../objects.js';

/** monitoring.coreos.com/v1 (Prometheus Operator): the fields of a ServiceMonitor the operator sets. */
export interface ServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'ServiceMonitor';
  metadata: OwnedMeta;
  spec: {
    selector: V1LabelSelector;
    endpoints: { port: string; path: string; interval: string }[];
  };
}
