import { PIPELINE_METRICS as M, SCRAPE_LABELS } from '@likepipe/contract';
import { API_SELECTOR, SLI } from '../rules/recording.js';
import { SLO } from '../slo.js';
import { dashboard, quantile, roleIs, sel, sli, stat, sumRate, text, timeseries } from './helpers.js';
import { dependencyLinks } from './links.js';

/**
 * What on-call opens first: are likes being accepted, are users getting errors or degraded answers, how much
 * of the error budget is left, and is anything piling up behind the API (consumer lag, open breakers).
 */
export const OVERVIEW_UID = 'likepipe-overview';

const { role } = SCRAPE_LABELS;
const pct = (x: number) => `${+(x * 100).toFixed(3)} %`;

/** 1 - (bad share over the SLO window) / (allowed bad share); 1 is untouched, 0 spent, below 0 overspent. */
function budgetLeft(badRatio1h: string, objective: number): string {
  // The 1 h ratio recorded every evaluation, averaged over the window: the window's bad share, weighted by time
  // rather than by request, which is close enough at steady traffic and costs one series instead of raw buckets.
  return `clamp(1 - avg_over_time(${sli(badRatio1h)}[${SLO.window}]) / ${+(1 - objective).toFixed(6)}, -1, 1)`;
}

const traffic = {
  row: 'Traffic and answers',
  panels: [
    timeseries({
      title: 'Likes and unlikes per second',
      description:
        'Like and unlike requests at the API by action and outcome (ok, degraded: accepted with Redis bypassed, ' +
        'replayed: an idempotent retry, or an error code). Bad: ok falling while traffic holds, degraded above ' +
        'zero (Redis is failing), or error outcomes rising.',
      unit: 'ops',
      w: 12,
      queries: [{ expr: sumRate(sel(M.likeActions.name), 'action, outcome'), legend: '{{action}} {{outcome}}' }],
    }),
    timeseries({
      title: 'Degraded (202), throttled (429) and unavailable (503) answers',
      description:
        'Share of like-API answers by status. 202: accepted with Redis bypassed (durable in Kafka, counts lag ' +
        'until the reconciler repairs them). 429: rate limited. 503: the API refused the request (Kafka or Redis ' +
        'down, overload). Bad: any sustained 503, a 202 share above a few percent, or a 429 share growing with ' +
        'no change in traffic.',
      unit: 'percentunit',
      w: 12,
      min: 0,
      warn: 0.01,
      bad: 0.05,
      queries: [
        {
          expr:
            `${sumRate(sel(M.httpRequests.name, `${API_SELECTOR}, status=~"202|429|503"`), 'status')}\n` +
            `/ ignoring (status) group_left\n${sumRate(sel(M.httpRequests.name, API_SELECTOR))}`,
          legend: '{{status}}',
        },
      ],
    }),
    timeseries({
      title: 'Like-API latency by route (p50, p95, p99)',
      description:
        `Request latency of the like-API's routes from the duration histogram. The latency SLO counts requests ` +
        `slower than ${SLO.latency.thresholdSeconds} s. Bad: p99 near or above that threshold; a p50 rise means ` +
        'every request slowed (Redis or Kafka), a p99-only rise a tail (GC, a hot slot, a slow broker).',
      unit: 's',
      w: 24,
      bad: SLO.latency.thresholdSeconds,
      queries: [0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, M.httpDuration, API_SELECTOR, 'route'),
        legend: `p${q * 100} {{route}}`,
      })),
    }),
  ],
};

const slos = {
  row: `SLOs (${SLO.window} window)`,
  panels: [
    timeseries({
      title: 'Availability SLI',
      description:
        `Share of API requests answered without a 5xx, from the recording rules (5 m and 1 h windows). ` +
        `Objective ${pct(SLO.availability)}. Bad: below the objective; the longer and lower, the faster the ` +
        'error budget burns (see the burn rate panel).',
      unit: 'percentunit',
      w: 8,
      max: 1,
      lowIsBad: true,
      bad: SLO.availability - (1 - SLO.availability),
      warn: SLO.availability,
      queries: [
        { expr: `1 - ${sli(SLI.errors('5m'))}`, legend: '5m' },
        { expr: `1 - ${sli(SLI.errors('1h'))}`, legend: '1h' },
      ],
    }),
    timeseries({
      title: 'Latency SLI',
      description:
        `Share of API requests answered within ${SLO.latency.thresholdSeconds} s, from the recording rules. ` +
        `Objective ${pct(SLO.latency.objective)}. Bad: below the objective.`,
      unit: 'percentunit',
      w: 8,
      max: 1,
      lowIsBad: true,
      bad: SLO.latency.objective - (1 - SLO.latency.objective),
      warn: SLO.latency.objective,
      queries: [
        { expr: `1 - ${sli(SLI.slow('5m'))}`, legend: '5m' },
        { expr: `1 - ${sli(SLI.slow('1h'))}`, legend: '1h' },
      ],
    }),
    timeseries({
      title: 'Error budget burn rate (1 h)',
      description:
        'How many times faster than sustainable each budget burns over the last hour (1 = the whole budget spent ' +
        `in exactly ${SLO.window}). Bad: above 1 for hours; 14.4 or more pages (2 % of the budget in an hour).`,
      unit: 'none',
      w: 8,
      min: 0,
      warn: 1,
      bad: 14.4,
      queries: [
        {
          expr: `${sli(SLI.errors('1h'))} / ${+(1 - SLO.availability).toFixed(6)}`,
          legend: 'availability',
        },
        { expr: `${sli(SLI.slow('1h'))} / ${+(1 - SLO.latency.objective).toFixed(6)}`, legend: 'latency' },
      ],
    }),
    stat({
      title: 'Availability error budget left',
      description:
        `Share of the availability error budget (${pct(1 - SLO.availability)} of requests over ` +
        `${SLO.window}) not yet spent; shown between -100 % and 100 %. Bad: below 25 % (freeze risky ` +
        'changes), below 0 the SLO is missed. Needs the recording rules to have run for the whole window to be exact.',
      unit: 'percentunit',
      w: 6,
      lowIsBad: true,
      bad: 0,
      warn: 0.25,
      instant: true,
      queries: [{ expr: budgetLeft(SLI.errors('1h'), SLO.availability), legend: '{{pipeline}}' }],
    }),
    stat({
      title: 'Latency error budget left',
      description:
        `Share of the latency error budget (${pct(1 - SLO.latency.objective)} of requests slower than ` +
        `${SLO.latency.thresholdSeconds} s over ${SLO.window}) not yet spent. Bad: below 25 %, below 0 the SLO ` +
        'is missed.',
      unit: 'percentunit',
      w: 6,
      lowIsBad: true,
      bad: 0,
      warn: 0.25,
      instant: true,
      queries: [{ expr: budgetLeft(SLI.slow('1h'), SLO.latency.objective), legend: '{{pipeline}}' }],
    }),
    stat({
      title: 'Degraded likes (5 m)',
      description:
        'Share of likes and unlikes accepted with Redis bypassed (202) over the last 5 minutes, from the ' +
        'recording rules. Bad: above 0 means Redis is failing for the like path; those counts reach readers ' +
        'only after the truth-writer and the reconciler catch up.',
      unit: 'percentunit',
      w: 6,
      warn: 0.001,
      bad: 0.05,
      queries: [{ expr: sli(SLI.degraded('5m')), legend: '{{pipeline}}' }],
    }),
    stat({
      title: 'API requests per second',
      description:
        'API requests per second over 5 minutes, from the recording rules: the denominator of every SLI. Bad: ' +
        'a sudden drop to near zero with no change upstream (clients cannot reach the API).',
      unit: 'reqps',
      w: 6,
      queries: [{ expr: sli(SLI.requests('5m')), legend: '{{pipeline}}' }],
    }),
  ],
};

const behind = {
  row: 'Behind the API',
  panels: [
    stat({
      title: 'Likes not yet in Postgres',
      description:
        'Events on the topic the truth-writer has not committed: likes accepted but not yet in Postgres (the ' +
        'truth). Bad: growing for minutes (truth-writer stuck, slow or Postgres down); counts read from Redis ' +
        'stay right meanwhile, but a Redis loss now would need these events replayed.',
      unit: 'short',
      w: 6,
      warn: 10_000,
      bad: 100_000,
      queries: [{ expr: `max(${sel(M.consumerLagGauge.name, roleIs('truth-writer'))})`, legend: 'truth-writer lag' }],
    }),
    stat({
      title: 'Open circuit breakers',
      description:
        'Breakers in the open state (2) across the selected processes: calls to that dependency are refused ' +
        'without trying. Bad: anything above 0; see the breaker label in the panel beside it.',
      unit: 'short',
      w: 6,
      warn: 1,
      bad: 1,
      queries: [{ expr: `count(${sel(M.breakerState.name)} == 2) or vector(0)`, legend: 'open' }],
    }),
    timeseries({
      title: 'Consumer lag per role',
      description:
        "Events each consumer role's group has not committed yet (summed over partitions; every replica reports " +
        "its group's lag, so the panel takes the highest). Bad: a line that keeps rising: that role is stuck or " +
        'too slow, and its output (Postgres truth, stats, notifications, feed) falls behind.',
      unit: 'short',
      w: 12,
      min: 0,
      queries: [{ expr: `max by (${role}) (${sel(M.consumerLagGauge.name)})`, legend: '{{role}}' }],
    }),
    timeseries({
      title: 'Circuit breaker state',
      description:
        'State of each circuit breaker per role: 0 closed (calls go through), 1 half-open (probing), 2 open ' +
        '(calls refused). Bad: 2 for more than a few seconds, or flapping between 1 and 2.',
      unit: 'none',
      w: 12,
      min: 0,
      max: 2,
      warn: 1,
      bad: 2,
      queries: [{ expr: `max by (${role}, breaker) (${sel(M.breakerState.name)})`, legend: '{{role}} {{breaker}}' }],
    }),
    timeseries({
      title: 'Likes accepted with Redis bypassed, by reason',
      description:
        'Degraded likes and unlikes per second by where Redis failed. Bad: anything above 0 (the speed layer ' +
        'is failing; counts catch up only after the truth-writer and reconciler).',
      unit: 'ops',
      w: 12,
      min: 0,
      queries: [{ expr: sumRate(sel(M.degradedActions.name, roleIs('like-api')), 'reason'), legend: '{{reason}}' }],
    }),
  ],
};

export const overview = () =>
  dashboard({
    uid: OVERVIEW_UID,
    title: 'LikePipeline / Overview',
    description:
      'What on-call opens first: traffic, answers, latency, SLOs and error budgets, and what piles up behind the API.',
    tags: ['overview', 'slo'],
    sections: [traffic, slos, behind, { row: 'Dependencies', panels: [text(dependencyLinks)] }],
  });
