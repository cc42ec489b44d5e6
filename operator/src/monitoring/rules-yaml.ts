import { ruleGroups } from '@likepipe/monitoring';
import yaml from 'js-yaml';

/**
 * The rule file for a Prometheus without the Prometheus Operator (rule_files: in prometheus.yml), from the
 * same groups as the operator's PrometheusRule: monitoring/prometheus/likepipe.rules.yaml.
 */
export const rulesYaml = (runbookBaseUrl?: string) =>
  '# Generated from packages/monitoring/src/rules by `npm run gen:rules`. Do not edit by hand.\n' +
  '# Recording rules (the like-API SLIs per namespace and pipeline) and alerts (SLO burn rates, causes);\n' +
  '# every alert links its runbook in docs/runbooks/.\n' +
  yaml.dump({ groups: ruleGroups({ runbookBaseUrl }) }, { lineWidth: -1, noRefs: true, sortKeys: false });
