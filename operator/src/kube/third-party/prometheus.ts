import type { V1LabelSelector } from '@kubernetes/client-node';
import type { RuleGroup } from '@likepipe/monitoring';
import type { OwnedMeta } from '../objects.js';

/** monitoring.coreos.com/v1 (Prometheus Operator): the fields of a ServiceMonitor the operator sets. */
export interface ServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'ServiceMonitor';
  metadata: OwnedMeta;
  spec: {
    selector: V1LabelSelector;
    endpoints: { port: string; path: string; interval: string; relabelings?: Relabeling[] }[];
  };
}

/** A Prometheus relabel_config as the Prometheus Operator spells it. */
export interface Relabeling {
  sourceLabels?: string[];
  regex?: string;
  targetLabel: string;
  replacement?: string;
  action?: 'replace';
}

/** monitoring.coreos.com/v1: a PrometheusRule, the rule groups of one pipeline. */
export interface PrometheusRule {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: OwnedMeta;
  spec: { groups: RuleGroup[] };
}
