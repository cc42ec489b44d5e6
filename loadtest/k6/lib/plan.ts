import type { Options, Scenario as K6Scenario, Stage } from 'k6/options';
import type { ChaosStep, Phase, Scenario, StepsPhase } from './scenario.ts';

/**
 * Phases as k6 scenarios. k6 runs an open model only through its arrival-rate executors, so each phase becomes one
 * of those, started when the previous phase is planned to end (startTime), all in one k6 run.
 */

/** The exported functions of the entry scripts that the k6 scenarios run. */
export const EXEC = { regular: 'regular', bot: 'bot' } as const;

export interface Overrides {
  /** Requests/s for hold phases: the SRE's 80 % of the rate they saw saturate (k6 cannot find it by itself). */
  holdRate?: number;
  /** Ceiling of the steps phases, below the scenario's maxRate. */
  maxRate?: number;
}

export interface PlannedPhase {
  name: string;
  kind: Phase['kind'];
  startS: number;
  durationS: number;
  /** The highest rate the phase offers, requests/s. */
  peakRate: number;
  /** Arrivals k6 will schedule in the phase (the base of the dropped-iterations threshold). */
  arrivals: number;
}

export interface Plan {
  phases: PlannedPhase[];
  durationS: number;
  options: Options;
}

export function overridesFrom(env: Record<string, string | undefined>): Overrides {
  const positive = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of requests/s, not "${raw}"`);
    return n;
  };
  const o: Overrides = {};
  const holdRate = positive('HOLD_RATE');
  const maxRate = positive('MAX_RATE');
  if (holdRate !== undefined) o.holdRate = holdRate;
  if (maxRate !== undefined) o.maxRate = maxRate;
  return o;
}

/** startRate × factor^k up to the ceiling: k6 cannot see saturation mid-run, so the steps simply stop there. */
export function stepRates(p: StepsPhase, maxRate?: number): number[] {
  const top = Math.min(p.maxRate, maxRate ?? Infinity);
  if (top < p.startRate) return [Math.max(1, Math.round(top))];
  const rates: number[] = [];
  // The epsilon keeps a step that lands on the ceiling (100 × 2 × 2 = 400) from being lost to rounding.
  for (let r = p.startRate; r <= top * (1 + 1e-9); r *= p.factor) rates.push(Math.max(1, Math.round(r)));
  return rates;
}

/**
 * k6 stages ramp linearly between targets; a step is a 1 s ramp to the new rate and a hold there, so almost all of
 * each step runs at its nominal rate, like the CI runner's steps.
 */
export function stepStages(rates: number[], stepDurationS: number): Stage[] {
  return rates.flatMap((target) => [
    { target, duration: '1s' },
    { target, duration: `${stepDurationS}s` },
  ]);
}

/** VUs k6 creates before the run: enough for ~100 ms latency at the phase's rate; it adds more up to maxInFlight. */
function preAllocated(rate: number, maxInFlight: number): number {
  return Math.min(maxInFlight, Math.ceil(rate / 10) + 10);
}

/** The fault whose slot covers `elapsedS`: from its atS to the next fault's ("none" before the first). */
export function slotAt(chaos: readonly ChaosStep[], elapsedS: number): string {
  let slot = 'none';
  for (const c of chaos) if (c.atS <= elapsedS) slot = c.fault;
  return slot;
}

export function plan(s: Scenario, o: Overrides): Plan {
  const scenarios: Record<string, K6Scenario> = {};
  const phases: PlannedPhase[] = [];
  // An iteration in flight when its phase ends may finish (or time out) rather than be cut off: a request that was
  // acknowledged but never recorded would leave the ledger short.
  const gracefulStop = `${Math.ceil(s.timeoutS) + 5}s`;
  let startS = 0;
  let stepsTop: number | undefined;
  s.phases.forEach((p) => {
    const common = {
      startTime: `${startS}s`,
      gracefulStop,
      exec: EXEC.regular,
      // Tags of every metric the scenario emits: per-phase thresholds select on them, and bot:false is how
      // the error thresholds leave out the bots' expected 429s.
      tags: { phase: p.name, bot: 'false' },
    };
    let planned: PlannedPhase;
    if (p.kind === 'steps') {
      const rates = stepRates(p, o.maxRate);
      stepsTop = rates[rates.length - 1]!;
      const durationS = rates.length * (1 + p.stepDurationS);
      scenarios[p.name] = {
        executor: 'ramping-arrival-rate',
        startRate: rates[0]!,
        timeUnit: '1s',
        stages: stepStages(rates, p.stepDurationS),
        preAllocatedVUs: preAllocated(stepsTop, s.maxInFlight),
        maxVUs: s.maxInFlight,
        ...common,
      };
      const arrivals = rates.reduce((t, r, i) => t + r * p.stepDurationS + ((rates[i - 1] ?? rates[0]!) + r) / 2, 0);
      planned = { name: p.name, kind: p.kind, startS, durationS, peakRate: stepsTop, arrivals: Math.round(arrivals) };
    } else {
      const rate = p.kind === 'constant' ? p.rate : holdRate(p.name, p.fractionOfSaturation, stepsTop, o);
      const r = Math.max(1, Math.round(rate));
      scenarios[p.name] = {
        executor: 'constant-arrival-rate',
        rate: r,
        timeUnit: '1s',
        duration: `${p.durationS}s`,
        preAllocatedVUs: preAllocated(r, s.maxInFlight),
        maxVUs: s.maxInFlight,
        ...common,
      };
      planned = { name: p.name, kind: p.kind, startS, durationS: p.durationS, peakRate: r, arrivals: r * p.durationS };
    }
    phases.push(planned);
    startS += planned.durationS;
  });
  const durationS = startS;

  const bots = s.workload.bots;
  if (bots.count > 0) {
    // Fractional rates (0.5/s) do not fit k6's integer rate: count them per minute instead.
    const perSecond = bots.count * bots.ratePerSecond;
    const whole = Number.isInteger(perSecond);
    scenarios.bots = {
      executor: 'constant-arrival-rate',
      rate: whole ? perSecond : Math.max(1, Math.round(perSecond * 60)),
      timeUnit: whole ? '1s' : '60s',
      duration: `${durationS}s`,
      preAllocatedVUs: Math.min(s.maxInFlight, Math.ceil(perSecond) + 2),
      maxVUs: Math.min(s.maxInFlight, Math.ceil(perSecond * s.timeoutS) + 2),
      gracefulStop,
      exec: EXEC.bot,
      tags: { phase: 'bots', bot: 'true' },
    };
  }

  return { phases, durationS, options: { scenarios, thresholds: thresholds(s, phases), ...runOptions(s) } };
}

function holdRate(name: string, fraction: number, stepsTop: number | undefined, o: Overrides): number {
  if (o.holdRate !== undefined) return o.holdRate;
  if (stepsTop !== undefined) return fraction * stepsTop;
  throw new Error(`phase ${name} holds a fraction of a saturation rate no steps phase measures: set HOLD_RATE`);
}

function thresholds(s: Scenario, phases: PlannedPhase[]): Record<string, string[]> {
  const t: Record<string, string[]> = {};
  const th = s.thresholds;
  for (const p of phases) {
    // A steps phase is meant to be pushed past saturation: its errors and drops are what it measures, not a failure.
    if (p.kind !== 'steps') {
      t[`http_req_failed{phase:${p.name},bot:false}`] = [`rate<=${th.maxErrorRate}`];
      // dropped_iterations is a count; the scenario's rate is a share of the arrivals k6 plans for the phase.
      t[`dropped_iterations{scenario:${p.name}}`] = [`count<=${Math.floor(th.maxDroppedRate * p.arrivals)}`];
    }
    const p99 = th.p99Ms[p.name];
    if (p99 !== undefined) t[`http_req_duration{phase:${p.name},bot:false}`] = [`p(99)<${p99}`];
  }
  // Always true: they only make k6 keep these sub-metrics, so the summary can show them.
  t['loadtest_acked{action:like}'] = ['count>=0'];
  t['loadtest_acked{action:unlike}'] = ['count>=0'];
  for (const slot of ['none', ...s.chaos.map((c) => c.fault)]) {
    t[`likepipe_errors{slot:${slot}}`] = ['count>=0'];
    t[`likepipe_error_at_s{slot:${slot}}`] = ['max>=0'];
  }
  return t;
}

function runOptions(s: Scenario): Options {
  return {
    // p(99) is what the thresholds name; without it here the summary would not show the value.
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
    // Only the teardown's polls read bodies (they ask for them); at tens of thousands of requests/s, the rest
    // would be garbage the VUs must collect.
    discardResponseBodies: true,
    setupTimeout: `${Math.max(60, Math.ceil(s.workload.posts / 20))}s`,
    // The quiet-pipeline wait (up to 120 s) plus its last poll.
    teardownTimeout: '180s',
  };
}
