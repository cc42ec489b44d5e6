// The k6 scripts in loadtest/k6/ are never run here (k6 is AGPL; SREs run them with their own k6), so this is
// what keeps them honest: they type-check against @types/k6, every scenario file has its script, and the
// scripts' own reading of the scenario files agrees with the zod schema the CI runner uses.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chaosStepSchema,
  parseScenario,
  phaseSchema,
  scenarioFileSchema,
  thresholdsSchema,
  workloadSchema,
  type Profile,
} from '@likepipe/loadtest/scenario.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const k6Dir = join(root, 'loadtest/k6');
const scenarioDir = join(root, 'loadtest/scenarios');
const scenarioNames = readdirSync(scenarioDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

// The k6 modules are imported by path at run time: a static import would pull loadtest/k6 into test/'s tsc
// program, which has Node's types and none of k6's. Only modules without k6 imports can load under Node.
type Json = Record<string, unknown>;
interface K6Scenario {
  readScenario(text: string, name: string, profile: Profile): Json;
  SCENARIO_KEYS: Record<string, readonly string[]>;
}
interface K6Plan {
  stepRates(p: Json, maxRate?: number): number[];
  slotAt(chaos: Json[], elapsedS: number): string;
  plan(
    s: Json,
    o: { holdRate?: number; maxRate?: number },
  ): {
    durationS: number;
    phases: { name: string; startS: number; durationS: number; peakRate: number }[];
    options: { scenarios: Record<string, Json>; thresholds: Record<string, string[]> };
  };
}
interface K6Zipf {
  zipfCdf(n: number, s: number): Float64Array;
  zipfPick(cdf: Float64Array, u: number): number;
}
const load = async <T>(module: string): Promise<T> => (await import(join(k6Dir, 'lib', module))) as T;

describe('the k6 scripts (loadtest/k6)', () => {
  test('type-check with @types/k6 (tsc -p loadtest/k6/tsconfig.json)', () => {
    const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'loadtest/k6/tsconfig.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (tsc.status !== 0) console.error(`tsc -p loadtest/k6/tsconfig.json failed:\n${tsc.stdout}${tsc.stderr}`);
    expect(tsc.status).toBe(0);
  }, 120_000);

  test('every scenario file has a script of its name, which opens that file', () => {
    const scripts = readdirSync(k6Dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => f.slice(0, -'.ts'.length))
      .sort();
    expect(scripts).toEqual(scenarioNames);
    for (const name of scripts) {
      const text = readFileSync(join(k6Dir, `${name}.ts`), 'utf8');
      expect(text).toContain(`k6Test('${name}', open('../scenarios/${name}.json'))`);
    }
  });

  test("the scripts' key lists are the zod schema's", async () => {
    const { SCENARIO_KEYS } = await load<K6Scenario>('scenario.ts');
    const keys = (shape: object) => Object.keys(shape).sort();
    const phase = (kind: string) => phaseSchema.options.find((o) => o.shape.kind.value === kind)!.shape;
    const steps = phase('steps');
    if (!('saturatedWhen' in steps)) throw new Error('the steps phase has no saturatedWhen');
    const expected: Record<string, string[]> = {
      file: keys(scenarioFileSchema.shape),
      workload: keys(workloadSchema.shape),
      mix: keys(workloadSchema.shape.mix.shape),
      bots: keys(workloadSchema.shape.bots.shape),
      constant: keys(phase('constant')),
      steps: keys(steps),
      saturatedWhen: keys(steps.saturatedWhen.shape),
      hold: keys(phase('hold')),
      chaos: keys(chaosStepSchema.shape),
      thresholds: keys(thresholdsSchema.shape),
    };
    const actual = Object.fromEntries(Object.entries(SCENARIO_KEYS).map(([k, v]) => [k, [...v].sort()]));
    expect(actual).toEqual(expected);
  });

  test.each(scenarioNames.flatMap((n) => (['full', 'short'] as const).map((p) => [n, p] as const)))(
    '%s (%s) reads as the CI runner reads it',
    async (name, profile) => {
      const { readScenario } = await load<K6Scenario>('scenario.ts');
      const text = readFileSync(join(scenarioDir, `${name}.json`), 'utf8');
      expect(readScenario(text, name, profile)).toEqual(parseScenario(JSON.parse(text), name, profile));
    },
  );

  test('an unknown field is refused, not ignored', async () => {
    const { readScenario } = await load<K6Scenario>('scenario.ts');
    const file = JSON.parse(readFileSync(join(scenarioDir, 'mixed.json'), 'utf8')) as Json;
    (file.workload as Json).thinkTimeS = 1;
    expect(() => readScenario(JSON.stringify(file), 'mixed', 'full')).toThrow(/unknown field\(s\) thinkTimeS/);
  });
});

describe('the k6 plan of a scenario', () => {
  const scenario = async (name: string, profile: Profile) =>
    (await load<K6Scenario>('scenario.ts')).readScenario(
      readFileSync(join(scenarioDir, `${name}.json`), 'utf8'),
      name,
      profile,
    );

  test('steps multiply up to maxRate, or MAX_RATE; hold is a fraction of the top step unless HOLD_RATE', async () => {
    const { plan } = await load<K6Plan>('plan.ts');
    const s = await scenario('hot-post', 'short');
    const p = plan(s, {});
    expect(p.phases.map((x) => [x.name, x.startS, x.durationS, x.peakRate])).toEqual([
      ['warm-up', 0, 3, 50],
      ['steps', 3, 15, 400],
      ['hold', 18, 10, 320],
    ]);
    expect(p.options.scenarios.steps).toMatchObject({
      executor: 'ramping-arrival-rate',
      startRate: 100,
      startTime: '3s',
      maxVUs: 2000,
      stages: [
        { target: 100, duration: '1s' },
        { target: 100, duration: '4s' },
        { target: 200, duration: '1s' },
        { target: 200, duration: '4s' },
        { target: 400, duration: '1s' },
        { target: 400, duration: '4s' },
      ],
    });
    expect(p.options.scenarios.hold).toMatchObject({ executor: 'constant-arrival-rate', rate: 320, startTime: '18s' });
    expect(p.options.thresholds['http_req_duration{phase:hold,bot:false}']).toEqual(['p(99)<2000']);
    expect(p.options.thresholds['http_req_failed{phase:hold,bot:false}']).toEqual(['rate<=0.001']);
    expect(p.options.thresholds['http_req_failed{phase:steps,bot:false}']).toBeUndefined();

    const capped = plan(s, { maxRate: 250, holdRate: 180 });
    expect(capped.phases.map((x) => x.peakRate)).toEqual([50, 200, 180]);
  });

  test('bots run beside the phases in their own scenario, tagged bot:true', async () => {
    const { plan } = await load<K6Plan>('plan.ts');
    const p = plan(await scenario('mixed', 'short'), {});
    expect(p.durationS).toBe(13);
    expect(p.options.scenarios.bots).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 15,
      duration: '13s',
      exec: 'bot',
      tags: { bot: 'true' },
    });
    expect(p.options.scenarios.steady).toMatchObject({ exec: 'regular', tags: { phase: 'steady', bot: 'false' } });
  });

  test('a request falls in the slot of the last fault started before it', async () => {
    const { slotAt } = await load<K6Plan>('plan.ts');
    const s = await scenario('failover', 'short');
    const chaos = s.chaos as Json[];
    expect([0, 5, 19.9, 20, 80].map((t) => slotAt(chaos, t))).toEqual([
      'none',
      'kill-redis-master',
      'kill-redis-master',
      'kill-kafka-leader',
      'stop-like-api',
    ]);
  });

  test('Zipf picks favour low ranks by 1/r^s and cover every post', async () => {
    const { zipfCdf, zipfPick } = await load<K6Zipf>('zipf.ts');
    const cdf = zipfCdf(3, 1);
    // Weights 1, 1/2, 1/3 of 11/6.
    expect(Array.from(cdf)).toEqual([6 / 11, 9 / 11, 1].map((x) => expect.closeTo(x, 12)));
    expect([0, 0.5, 0.55, 0.8, 0.9, 0.999999].map((u) => zipfPick(cdf, u))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(zipfPick(zipfCdf(1, 1.1), 0.7)).toBe(0);
  });
});
