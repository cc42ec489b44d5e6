/**
 * Numbers as people read them in the report and the console summary. A fixed locale, so a report renders the
 * same on every machine (and in the tests) whatever LANG says.
 */
const LOCALE = 'en-US';

/** Whole counts with thousands separators: 12,345. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString(LOCALE);
}

/**
 * Measured values with as many decimals as carry information at their size: 12,345 · 123 · 12.3 · 1.23 ·
 * 0.123 · 0.0123 (three significant digits below 1, never more than needed: 2.5, not 2.50).
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  let decimals: number;
  if (abs === 0 || abs >= 100) decimals = 0;
  else if (abs >= 10) decimals = 1;
  else if (abs >= 1) decimals = 2;
  else decimals = Math.min(6, 2 - Math.floor(Math.log10(abs)));
  return n.toLocaleString(LOCALE, { maximumFractionDigits: decimals });
}

export function formatMs(ms: number): string {
  return `${formatNumber(ms)} ms`;
}

export function formatSeconds(s: number): string {
  return `${formatNumber(s)} s`;
}

export function formatRate(perSecond: number): string {
  return `${formatNumber(perSecond)}/s`;
}

/** A share as a percentage with the decimals its size needs: 0.0123 → "1.23 %". */
export function formatPercent(share: number): string {
  return `${formatNumber(share * 100)} %`;
}

/** Short axis labels: 950, 1.5k, 12k, 3M. */
export function formatCompact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${formatNumber(n / 1e6)}M`;
  if (abs >= 1e3) return `${formatNumber(n / 1e3)}k`;
  return formatNumber(n);
}

/** Seconds since the start of a run as a clock: 95 → "1:35". */
export function formatClock(s: number): string {
  const whole = Math.round(s);
  const m = Math.floor(whole / 60);
  const sec = whole % 60;
  return `${m}:${String(sec).padStart(2, '0')}`;
}

/** A status map in a stable, readable order, most frequent first: ["503 ×120", "timeout ×4"]. */
export function statusList(statuses: Record<string, number>): string[] {
  const entries = Object.entries(statuses).filter(([, n]) => n > 0);
  entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.map(([status, n]) => `${status} ×${formatCount(n)}`);
}

/** The same as one line: "503 ×120, timeout ×4", or "—" when nothing answered. */
export function formatStatuses(statuses: Record<string, number>): string {
  return statusList(statuses).join(', ') || '—';
}
