import type { ChaosEvent, PhaseSummary, RunSummary, Second } from '@likepipe/loadtest/summary.js';

/**
 * A realistic load-test summary for the report tests, made up but self-consistent: a 90 s run in three phases,
 * a Redis master killed at 30 s (errors for 3.6 s, within its 8 s) and a Kafka leader killed at 60 s (errors for
 * 11.8 s, over its 10 s, and a p99 threshold failed). Deterministic: the "noise" is a sine.
 */
export const FIXTURE_DURATION_S = 90;

interface Trouble {
  from: number;
  to: number;
  errorShare: number;
  status: string;
  extra?: [string, number];
  p99Ms: number;
  dropped?: number;
}

const TROUBLE: Trouble[] = [
  { from: 30, to: 34, errorShare: 0.4, status: '503', extra: ['timeout', 6], p99Ms: 1800 },
  { from: 60, to: 72, errorShare: 0.25, status: '503', extra: ['conn-refused', 12], p99Ms: 4800, dropped: 20 },
];

const PHASES: Pick<PhaseSummary, 'name' | 'kind' | 'rate' | 'startS' | 'endS'>[] = [
  { name: 'warm-up', kind: 'constant', rate: 100, startS: 0, endS: 20 },
  { name: 'steady', kind: 'constant', rate: 300, startS: 20, endS: 50 },
  { name: 'failover', kind: 'hold', rate: 300, startS: 50, endS: 90 },
];

const BOT_429_PER_S = 5;

function second(t: number): Second {
  const phase = PHASES.find((p) => t >= p.startS && t < p.endS)!;
  const offered = phase.rate + Math.round(Math.sin(t) * 3);
  const trouble = TROUBLE.find((w) => t >= w.from && t < w.to);
  const [extraStatus, extraN] = trouble?.extra ?? ['timeout', 0];
  const fiveHundreds = trouble ? Math.round(offered * trouble.errorShare) : 0;
  const errors = fiveHundreds + extraN;
  const dropped = trouble?.dropped ?? 0;
  const ok = offered - errors - dropped - BOT_429_PER_S;
  const statuses: Record<string, number> = {
    '200': Math.round(ok * 0.7),
    '202': ok - Math.round(ok * 0.7),
    '429': BOT_429_PER_S,
  };
  if (trouble) {
    statuses[trouble.status] = fiveHundreds;
    if (extraN > 0) statuses[extraStatus] = extraN;
  }
  // Nothing was answered during the first second of the Kafka stall: no latency to show.
  const latency =
    t === 61
      ? null
      : trouble
        ? { p50: 40 + (t - trouble.from) * 10, p90: trouble.p99Ms / 3, p99: trouble.p99Ms, max: trouble.p99Ms * 1.4 }
        : { p50: 3.2 + Math.sin(t) * 0.4, p90: 8.5 + Math.cos(t), p99: 21 + Math.sin(t / 3) * 4, max: 64 };
  const inFlight = trouble ? 150 + (t - trouble.from) * 60 : Math.round(offered * 0.01) + 1;
  return { t, offered, ok, errors, dropped, statuses, latency, inFlight };
}

function phaseSummary(p: (typeof PHASES)[number], timeline: Second[]): PhaseSummary {
  const seconds = timeline.filter((s) => s.t >= p.startS && s.t < p.endS);
  const sum = (f: (s: Second) => number) => seconds.reduce((t, s) => t + f(s), 0);
  const troubled = seconds.some((s) => TROUBLE.some((w) => s.t >= w.from && s.t < w.to));
  const worst = Math.max(...TROUBLE.filter((w) => w.from >= p.startS && w.from < p.endS).map((w) => w.p99Ms), 0);
  return {
    ...p,
    arrivals: sum((s) => s.offered),
    ok: sum((s) => s.ok),
    errors: sum((s) => s.errors),
    expectedRejections: sum((s) => s.statuses['429'] ?? 0),
    dropped: sum((s) => s.dropped),
    achievedRate: sum((s) => s.offered - s.dropped) / (p.endS - p.startS),
    latency: troubled
      ? { p50: 3.9, p90: 12.4, p99: worst * 0.9, max: worst * 1.4 }
      : { p50: 3.1, p90: 8.7, p99: 23.6, max: 64 },
  };
}

function chaosEvent(
  w: Trouble,
  timeline: Second[],
  base: Pick<ChaosEvent, 'fault' | 'target' | 'atS' | 'recoveredAtS' | 'errorWindowS' | 'maxErrorWindowS'>,
): ChaosEvent {
  const seconds = timeline.filter((s) => s.t >= w.from && s.t < w.to);
  const statuses: Record<string, number> = {};
  for (const s of seconds) {
    for (const [k, n] of Object.entries(s.statuses)) if (!/^2\d\d$|^429$/.test(k)) statuses[k] = (statuses[k] ?? 0) + n;
  }
  return { ...base, errors: seconds.reduce((t, s) => t + s.errors, 0), statuses };
}

export function runSummary(over: Partial<RunSummary> = {}): RunSummary {
  const timeline = Array.from({ length: FIXTURE_DURATION_S }, (_, t) => second(t));
  return {
    scenario: 'failover',
    description:
      'The hot post at a fixed rate while parts die one after another: the Redis master of its counter, then the Kafka leader of most of its partitions. Nothing acknowledged may be lost.',
    profile: 'short',
    startedAt: '2026-12-01T19:40:05.120Z',
    finishedAt: '2026-12-01T19:41:41.870Z',
    machine: { cpus: 16, memoryGiB: 62.7, node: 'v24.21.0' },
    target: { apiUrls: ['http://127.0.0.1:3000', 'http://127.0.0.1:3001'], kafkaBrokers: 3 },
    phases: PHASES.map((p) => phaseSummary(p, timeline)),
    saturation: null,
    timeline,
    chaos: [
      chaosEvent(TROUBLE[0]!, timeline, {
        fault: 'kill-redis-master',
        target: 'redis 127.0.0.1:7003, master of slot 4721 (post p-1)',
        atS: 30,
        recoveredAtS: 38,
        errorWindowS: 3.6,
        maxErrorWindowS: 8,
      }),
      chaosEvent(TROUBLE[1]!, timeline, {
        fault: 'kill-kafka-leader',
        target: 'kafka broker 2, leader of 9/12 partitions of likes',
        atS: 60,
        recoveredAtS: 75,
        errorWindowS: 11.8,
        maxErrorWindowS: 10,
      }),
    ],
    audit: {
      acknowledgedLikes: 21_873,
      acknowledgedUnlikes: 0,
      expectedRows: 21_873,
      missing: 0,
      unlikesLost: 0,
      unacknowledgedRows: 312,
      countMismatches: [],
      apiMismatches: [],
      quietAfterS: 2.35,
      postgresTxPer1000Likes: 7.42,
      kafkaProduceRequestsPer1000Likes: 31.9,
      replayMismatches: 0,
      ok: true,
    },
    thresholds: [
      { name: 'error rate (warm-up)', limit: '≤ 20 %', actual: '0 %', pass: true },
      { name: 'error rate (failover)', limit: '≤ 20 %', actual: '8.1 %', pass: true },
      { name: 'dropped rate', limit: '≤ 1 %', actual: '0.21 %', pass: true },
      { name: 'p99 failover', limit: '≤ 2,000 ms', actual: '4,320 ms', pass: false },
      { name: 'Postgres tx per 1,000 likes', limit: '≤ 100', actual: '7.42', pass: true },
    ],
    pass: false,
    ...over,
  };
}
