/**
 * The scenario files as the k6 scripts see them. The schema lives in loadtest/src/scenario.ts (zod, Node); k6 has
 * neither zod nor node:fs, so these are plain interfaces mirroring it. They cannot drift silently: the key lists
 * below must name every field of the interfaces (checked by tsc through loadtest/k6/tsconfig.json) and
 * test/unit/k6-scripts.test.ts compares them with the zod shapes; at run time a file with a field we do not
 * know is refused instead of half-understood.
 *
 * No k6 imports here: the unit test imports this module under Node.
 */

export type Profile = 'full' | 'short';

export interface Workload {
  posts: number;
  zipfExponent: number;
  users: number | 'distinct';
  mix: { read: number; like: number; unlike: number };
  retryFraction: number;
  bots: { count: number; ratePerSecond: number };
}

export interface ConstantPhase {
  name: string;
  kind: 'constant';
  rate: number;
  durationS: number;
}
export interface StepsPhase {
  name: string;
  kind: 'steps';
  startRate: number;
  factor: number;
  maxRate: number;
  stepDurationS: number;
  saturatedWhen: { p99Ms: number; errorRate: number; droppedRate: number };
}
export interface HoldPhase {
  name: string;
  kind: 'hold';
  fractionOfSaturation: number;
  durationS: number;
}
export type Phase = ConstantPhase | StepsPhase | HoldPhase;

export interface ChaosStep {
  fault: string;
  atS: number;
  recoverAfterS: number;
  maxErrorWindowS: number;
}

export interface Thresholds {
  maxErrorRate: number;
  maxDroppedRate: number;
  p99Ms: Record<string, number>;
  maxPostgresTxPer1000Likes: number;
}

export interface ScenarioBody {
  description: string;
  workload: Workload;
  phases: Phase[];
  maxInFlight: number;
  timeoutS: number;
  chaos: ChaosStep[];
  thresholds: Thresholds;
}

export interface ScenarioFile extends ScenarioBody {
  name: string;
  short?: Partial<ScenarioBody>;
}

export interface Scenario extends ScenarioBody {
  name: string;
  profile: Profile;
}

/** All the keys of T: a key that is not T's, or one of T's left out, is a type error where the list is written. */
function keys<T>() {
  return <const L extends readonly (keyof T & string)[]>(
    list: L & ([Exclude<keyof T, L[number]>] extends [never] ? unknown : 'a key of the interface is missing'),
  ): readonly string[] => list;
}

export const SCENARIO_KEYS = {
  file: keys<ScenarioFile>()([
    'name',
    'description',
    'workload',
    'phases',
    'maxInFlight',
    'timeoutS',
    'chaos',
    'thresholds',
    'short',
  ]),
  workload: keys<Workload>()(['posts', 'zipfExponent', 'users', 'mix', 'retryFraction', 'bots']),
  mix: keys<Workload['mix']>()(['read', 'like', 'unlike']),
  bots: keys<Workload['bots']>()(['count', 'ratePerSecond']),
  constant: keys<ConstantPhase>()(['name', 'kind', 'rate', 'durationS']),
  steps: keys<StepsPhase>()(['name', 'kind', 'startRate', 'factor', 'maxRate', 'stepDurationS', 'saturatedWhen']),
  saturatedWhen: keys<StepsPhase['saturatedWhen']>()(['p99Ms', 'errorRate', 'droppedRate']),
  hold: keys<HoldPhase>()(['name', 'kind', 'fractionOfSaturation', 'durationS']),
  chaos: keys<ChaosStep>()(['fault', 'atS', 'recoverAfterS', 'maxErrorWindowS']),
  thresholds: keys<Thresholds>()(['maxErrorRate', 'maxDroppedRate', 'p99Ms', 'maxPostgresTxPer1000Likes']),
};

function checkKeys(value: unknown, allowed: readonly string[], where: string, optional: readonly string[] = []) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected an object`);
  }
  const present = Object.keys(value);
  const unknown = present.filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new Error(`${where}: unknown field(s) ${unknown.join(', ')}: the k6 scripts are older than the schema`);
  }
  const missing = allowed.filter((k) => !optional.includes(k) && !present.includes(k));
  if (missing.length > 0) throw new Error(`${where}: missing field(s) ${missing.join(', ')}`);
}

/** The shape checks the k6 side can afford; the zod schema (run by `npm test` on the same files) does the rest. */
function checkBody(b: Partial<ScenarioBody>, where: string, partial: boolean): void {
  const bodyKeys = SCENARIO_KEYS.file.filter((k) => k !== 'name' && k !== 'short');
  checkKeys(b, bodyKeys, where, partial ? bodyKeys : []);
  if (b.workload) {
    checkKeys(b.workload, SCENARIO_KEYS.workload, `${where}.workload`);
    checkKeys(b.workload.mix, SCENARIO_KEYS.mix, `${where}.workload.mix`);
    checkKeys(b.workload.bots, SCENARIO_KEYS.bots, `${where}.workload.bots`);
  }
  b.phases?.forEach((p, i) => {
    const at = `${where}.phases[${i}]`;
    if (p.kind === 'constant') checkKeys(p, SCENARIO_KEYS.constant, at);
    else if (p.kind === 'hold') checkKeys(p, SCENARIO_KEYS.hold, at);
    else if (p.kind === 'steps') {
      checkKeys(p, SCENARIO_KEYS.steps, at);
      checkKeys(p.saturatedWhen, SCENARIO_KEYS.saturatedWhen, `${at}.saturatedWhen`);
    } else throw new Error(`${at}: unknown kind ${(p as { kind: unknown }).kind as string}`);
  });
  b.chaos?.forEach((c, i) => checkKeys(c, SCENARIO_KEYS.chaos, `${where}.chaos[${i}]`));
  if (b.thresholds) checkKeys(b.thresholds, SCENARIO_KEYS.thresholds, `${where}.thresholds`);
}

/** A scenario file's text, with the `short` block laid over the top-level fields for PROFILE=short. */
export function readScenario(text: string, expectedName: string, profile: Profile): Scenario {
  const file = JSON.parse(text) as ScenarioFile;
  const where = `scenario ${expectedName}`;
  checkKeys(file, SCENARIO_KEYS.file, where, ['short']);
  if (file.name !== expectedName) throw new Error(`${where}: the file is named "${file.name}"`);
  const { short, name, ...body } = file;
  checkBody(body, where, false);
  if (short) checkBody(short, `${where}.short`, true);
  return { name, ...body, ...(profile === 'short' ? short : {}), profile };
}

export function profileFrom(value: string | undefined): Profile {
  if (value === undefined || value === '' || value === 'full') return 'full';
  if (value === 'short') return 'short';
  throw new Error(`PROFILE must be "full" or "short", not "${value}"`);
}
