/**
 * The reasons a LikePipeline's conditions give, written once. The status, the problems desiredState reports
 * and the controller's Events use these constants; users, alerts and tests match on the strings (kubectl
 * describe lp, `.status.conditions[].reason`), so they are part of the resource's API: CamelCase, stable.
 */
export const Reason = {
  // A component is coming up: nothing for the user to do yet.
  Creating: 'Creating',
  PodsNotReady: 'PodsNotReady',
  NotReady: 'NotReady',
  // A component is serving.
  Running: 'Running',
  Available: 'Available',
  Ready: 'Ready',
  External: 'External',
  NoneEnabled: 'NoneEnabled',
  AllComponentsReady: 'AllComponentsReady',
  // The user must act.
  SecretNotFound: 'SecretNotFound',
  SecretKeyNotFound: 'SecretKeyNotFound',
  StrimziNotInstalled: 'StrimziNotInstalled',
  CloudNativePGNotInstalled: 'CloudNativePGNotInstalled',
  ServiceMonitorCRDMissing: 'ServiceMonitorCRDMissing',
  PrometheusRuleCRDMissing: 'PrometheusRuleCRDMissing',
  ApplyFailed: 'ApplyFailed',
} as const;
export type ConditionReason = (typeof Reason)[keyof typeof Reason];

const PROGRESSING: ReadonlySet<ConditionReason> = new Set([Reason.Creating, Reason.PodsNotReady]);

/** A component on its way up (objects being created, pods starting): not news, so never a Warning. */
export const isProgressing = (reason: ConditionReason): boolean => PROGRESSING.has(reason);
