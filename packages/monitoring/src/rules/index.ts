import { alertGroups, DEFAULT_RUNBOOK_BASE_URL } from './alerts.js';
import { recordingGroups, type Scope } from './recording.js';
import type { RuleGroup } from './types.js';

/**
 * Every rule group: the SLI recordings first (the alerts read them), then the alerts. The same groups become
 * monitoring/prometheus/likepipe.rules.yaml (for a Prometheus without the Prometheus Operator) and the spec
 * of the PrometheusRule the operator makes per LikePipeline.
 */
export function ruleGroups(opts: { runbookBaseUrl?: string; scope?: Scope } = {}): RuleGroup[] {
  const { runbookBaseUrl = DEFAULT_RUNBOOK_BASE_URL, scope } = opts;
  return [...recordingGroups(scope), ...alertGroups(runbookBaseUrl, scope)];
}
