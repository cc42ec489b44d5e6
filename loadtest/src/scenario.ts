import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ScenarioError } from './errors/index.js';

/**
 * A load-test scenario, as data: what users do (workload), how fast (phases), what breaks meanwhile (chaos) and
 * what must hold (thresholds). The same JSON files in loadtest/scenarios/ drive the CI runner (this package)
 * and the k6 scripts in loadtest/k6/, so the two cannot drift. Times are in seconds, rates in requests/s.
 */

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lower-case letters, digits and dashes');
const rate = z.number().positive().max(1_000_000);
const seconds = z
  .number()
  .positive()
  .max(24 * 3600);

export const workloadSchema = z.strictObject({
  /** Posts created before the run. */
  posts: z.int().min(1).max(100_000),
  /** Popularity of the post of rank r ∝ 1/r^s (Zipf); 0 is uniform. Ignored with one post. */
  zipfExponent: z.number().min(0).max(5),
  /** Regular users: a number (a pool, each user acts many times) or "distinct" (every like by a new user). */
  users: z.union([z.int().min(1).max(10_000_000), z.literal('distinct')]),
  /** Weights of the request kinds: GET a post's count, like, unlike (of a like acknowledged earlier). */
  mix: z.strictObject({ read: z.number().min(0), like: z.number().min(0), unlike: z.number().min(0) }),
  /** Share of writes sent again with the same Idempotency-Key once answered (a client retry). */
  retryFraction: z.number().min(0).max(1),
  /** Users far over the per-user rate limit: their 429s are expected, anyone else's is an error. */
  bots: z.strictObject({ count: z.int().min(0).max(1000), ratePerSecond: rate }),
});

const constantPhase = z.strictObject({
  name,
  kind: z.literal('constant'),
  rate,
  durationS: seconds,
});
/** Rate stepped up (×factor per step) until a step misses its targets or maxRate is reached. */
const stepsPhase = z.strictObject({
  name,
  kind: z.literal('steps'),
  startRate: rate,
  factor: z.number().min(1.05).max(10),
  maxRate: rate,
  stepDurationS: seconds,
  /** A step is saturated when it misses any of these; the last step that met them is the saturation rate. */
  saturatedWhen: z.strictObject({
    p99Ms: z.number().positive(),
    errorRate: z.number().min(0).max(1),
    droppedRate: z.number().min(0).max(1),
  }),
});
/** A constant rate at a fraction of the rate the preceding steps phase sustained (its start rate if none). */
const holdPhase = z.strictObject({
  name,
  kind: z.literal('hold'),
  fractionOfSaturation: z.number().positive().max(1),
  durationS: seconds,
});
export const phaseSchema = z.discriminatedUnion('kind', [constantPhase, stepsPhase, holdPhase]);

export const FAULTS = [
  'kill-redis-master',
  'kill-kafka-leader',
  'kill-truth-writer',
  'restart-postgres',
  'stop-like-api',
] as const;
export type Fault = (typeof FAULTS)[number];

export const chaosStepSchema = z.strictObject({
  fault: z.enum(FAULTS),
  /** Seconds after the start of the run. */
  atS: z.number().min(0),
  /** Seconds after the fault when the broken part is brought back (restarted, rejoined). */
  recoverAfterS: seconds,
  /** The longest the API may answer errors because of this fault: first to last error in its slot, seconds. */
  maxErrorWindowS: z.number().min(0),
});

export const thresholdsSchema = z.strictObject({
  /** Share of requests (bots' expected 429s left out) answered with an error or not at all, per phase. */
  maxErrorRate: z.number().min(0).max(1),
  /** Share of arrivals dropped because maxInFlight requests were already waiting. */
  maxDroppedRate: z.number().min(0).max(1),
  /** p99 latency per phase name, in ms, measured from when the request was due. */
  p99Ms: z.record(z.string(), z.number().positive()),
  /** Postgres transactions per 1,000 acknowledged likes (the batching bound). */
  maxPostgresTxPer1000Likes: z.number().positive(),
});

const scenarioBody = {
  description: z.string().min(1),
  workload: workloadSchema,
  phases: z.array(phaseSchema).min(1),
  /** Requests allowed in flight at once (k6's maxVUs); an arrival beyond it is dropped and counted. */
  maxInFlight: z.int().min(1).max(100_000),
  /** Per-request timeout, seconds. */
  timeoutS: seconds,
  chaos: z.array(chaosStepSchema),
  thresholds: thresholdsSchema,
};

export const scenarioFileSchema = z.strictObject({
  name,
  ...scenarioBody,
  /** The short version `npm test` runs: replaces the fields it names. */
  short: z.strictObject(scenarioBody).partial().optional(),
});

export type ScenarioFile = z.infer<typeof scenarioFileSchema>;
export type Scenario = Omit<ScenarioFile, 'short'> & { profile: Profile };
export type Phase = z.infer<typeof phaseSchema>;
export type ChaosStep = z.infer<typeof chaosStepSchema>;
export type Workload = z.infer<typeof workloadSchema>;
export type Thresholds = z.infer<typeof thresholdsSchema>;
export type Profile = 'full' | 'short';

/** Parses and checks a scenario file's JSON; every problem is reported with its path. */
export function parseScenario(json: unknown, source: string, profile: Profile): Scenario {
  const parsed = scenarioFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ScenarioError(`${source} is not a valid scenario:\n  ${problems.join('\n  ')}`);
  }
  const { short, ...full } = parsed.data;
  const s: Scenario = { ...full, ...(profile === 'short' ? short : {}), profile };
  checkConsistency(s, source);
  return s;
}

function checkConsistency(s: Scenario, source: string): void {
  const fail = (msg: string) => {
    throw new ScenarioError(`${source} (${s.profile}): ${msg}`);
  };
  const names = s.phases.map((p) => p.name);
  if (new Set(names).size !== names.length) fail(`phase names repeat: ${names.join(', ')}`);
  for (const phase of Object.keys(s.thresholds.p99Ms)) {
    if (!names.includes(phase))
      fail(`thresholds.p99Ms names phase "${phase}", which is not one of ${names.join(', ')}`);
  }
  s.phases.forEach((p, i) => {
    if (p.kind === 'steps' && p.maxRate < p.startRate) fail(`phases[${i}]: maxRate is below startRate`);
  });
  if (s.phases.some((p) => p.kind === 'steps') && s.chaos.length > 0) {
    fail('chaos needs a known timeline: use constant or hold phases only, not steps');
  }
  const total = s.phases.reduce((t, p) => t + (p.kind === 'steps' ? 0 : p.durationS), 0);
  s.chaos.forEach((c, i) => {
    if (c.atS + c.recoverAfterS > total)
      fail(`chaos[${i}] (${c.fault}) recovers after the last phase ends (${total} s)`);
    const prev = s.chaos[i - 1];
    if (prev && c.atS < prev.atS + prev.recoverAfterS) {
      fail(`chaos[${i}] (${c.fault}) starts before chaos[${i - 1}] (${prev.fault}) has recovered`);
    }
  });
  const w = s.workload;
  if (w.mix.read + w.mix.like + w.mix.unlike <= 0) fail('workload.mix: at least one weight must be positive');
  if (w.users === 'distinct' && (w.mix.unlike > 0 || w.retryFraction > 0 || w.mix.read > 0)) {
    fail('workload.users "distinct" means one like per user: mix.read, mix.unlike and retryFraction must be 0');
  }
}

/** The scenario files shipped in loadtest/scenarios/, by name. */
export const SCENARIO_DIR = new URL('../scenarios/', import.meta.url);

export function loadScenario(nameOrPath: string, profile: Profile): Scenario {
  const file = nameOrPath.endsWith('.json') ? nameOrPath : new URL(`${nameOrPath}.json`, SCENARIO_DIR);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ScenarioError(`no scenario "${nameOrPath}" (looked for ${file.toString()})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(`${file.toString()} is not JSON: ${(err as Error).message}`);
  }
  return parseScenario(json, file.toString(), profile);
}

/** Seconds the phases take when none of them is a steps phase (whose length depends on the run). */
export function plannedDurationS(s: Scenario): number | null {
  if (s.phases.some((p) => p.kind === 'steps')) return null;
  return s.phases.reduce((t, p) => t + (p.kind === 'steps' ? 0 : p.durationS), 0);
}
