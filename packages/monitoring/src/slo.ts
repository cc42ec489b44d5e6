/**
 * The like-API's service level objectives, in one place: the recording rules compute the SLIs, the alerts burn
 * their error budgets, the dashboards show what is left. Changing a target here changes all three.
 */
export const SLO = {
  /** The window the objectives hold over (and the error budget is counted in). */
  window: '30d',
  /** Share of API requests answered without a server error (5xx, the 503s of an outage included). */
  availability: 0.999,
  /** Share of API requests answered within `latency.thresholdSeconds`. */
  latency: { objective: 0.99, thresholdSeconds: 0.25 },
} as const;

/**
 * The multi-window, multi-burn-rate alerts of the SRE workbook (chapter 5, "Alerting on SLOs"): an alert fires
 * when the error budget burns at `burnRate` times the sustainable rate over both the long and the short window
 * (the short one makes it stop soon after the burning stops). 14.4× over 1 h spends 2 % of a 30-day budget;
 * 6× over 6 h spends 5 %; 3× over 1 d and 1× over 3 d spend 10 %.
 */
export const BURN_RATE_ALERTS = [
  { severity: 'page', burnRate: 14.4, long: '1h', short: '5m', for: '2m' },
  { severity: 'page', burnRate: 6, long: '6h', short: '30m', for: '15m' },
  { severity: 'ticket', burnRate: 3, long: '1d', short: '2h', for: '1h' },
  { severity: 'ticket', burnRate: 1, long: '3d', short: '6h', for: '3h' },
] as const;

/** Every window a burn-rate alert reads, each recorded once per SLI. */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SliWindow = (typeof SLI_WINDOWS)[number];
