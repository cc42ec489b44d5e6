import { availableParallelism, totalmem } from 'node:os';
import { createSigner } from 'fast-jwt';
import { Auditor } from './audit.js';
import { inject, type Injected } from './chaos.js';
import { Endpoints } from './endpoints.js';
import { Engine } from './engine.js';
import { Ledger } from './ledger.js';
import { ProduceRequests } from './produce-requests.js';
import { Recorder } from './recorder.js';
import type { Scenario } from './scenario.js';
import type { StackEnv } from './stack.js';
import type { ChaosEvent, PhaseSummary, RunSummary } from './summary.js';
import { errorWindow, judge } from './thresholds.js';
import { newRunId, WorkloadModel } from './workload.js';

export interface RunOptions {
  env: StackEnv;
  /** A second like-API process the chaos schedule may stop (scripts/stack/app.sh name and URL). */
  secondApi: { name: string; url: string } | null;
  /** Where the ledger (NDJSON) goes. */
  ledgerFile?: string;
  /** One line of progress, about every second. */
  progress: (line: string) => void;
}

const sleepUntil = (engine: Engine, ms: number) =>
  new Promise<void>((r) => setTimeout(r, Math.max(0, ms - engine.now())));

/** Runs one scenario against a running stack and returns its summary (the caller writes and renders it). */
export async function runScenario(s: Scenario, o: RunOptions): Promise<RunSummary> {
  const startedAt = new Date();
  const runId = newRunId();
  const sign = createSigner({ key: o.env.jwtSecret, algorithm: 'HS256', expiresIn: 6 * 3600 * 1000 });
  const authorToken = sign({ sub: `${runId}-author` });
  const apiUrls = [...o.env.apiUrls, ...(o.secondApi ? [o.secondApi.url] : [])];
  const posts = await createPosts(apiUrls[0]!, authorToken, runId, s.workload.posts);

  const ledger = new Ledger(o.ledgerFile);
  const recorder = new Recorder();
  const endpoints = new Endpoints(apiUrls, s.maxInFlight);
  endpoints.startProbing();
  const auditor = new Auditor(o.env.databaseUrl, apiUrls[0]!, authorToken, o.env.reconcileIntervalMs);
  const produce = new ProduceRequests(apiUrls);
  const workload = new WorkloadModel(s.workload, posts, runId, o.env.jwtSecret, ledger);
  await auditor.begin();
  await produce.sample();
  produce.start();

  const engine = new Engine(endpoints, recorder, {
    maxInFlight: s.maxInFlight,
    timeoutMs: s.timeoutS * 1000,
    t0: performance.now(),
  });
  let phaseName = '';
  let rate = 0;
  const progress = setInterval(() => {
    recorder.inFlight(engine.now(), engine.inFlight);
    const sec = recorder.timeline().at(-2);
    const ready = endpoints.all.map((e) => (e.ready ? '✔' : '✘')).join('');
    o.progress(
      `${(engine.now() / 1000).toFixed(0).padStart(4)} s  ${phaseName.padEnd(10)} ${String(Math.round(rate)).padStart(6)}/s offered` +
        `  ok ${sec?.ok ?? 0}/s  err ${sec?.errors ?? 0}/s  dropped ${sec?.dropped ?? 0}/s` +
        `  p99 ${sec?.latency ? sec.latency.p99.toFixed(0) : '-'} ms  in flight ${engine.inFlight}  APIs ${ready}` +
        `  acked ${ledger.likes + ledger.unlikes}${activeFault ? `  ⚡ ${activeFault}` : ''}`,
    );
  }, 1_000);

  // The chaos schedule runs beside the load, on the same clock.
  const chaos: ChaosEvent[] = [];
  let activeFault = '';
  const sampleUsers = Array.from({ length: 1_000 }, (_, i) => `${runId}-u${i}`);
  let chaosFinished = s.chaos.length === 0;
  const chaosDone = (async () => {
    // Faults follow the schedule, but a recovery that overran (a broker slow to rejoin its ISRs) pushes the
    // rest back by as much, so every fault gets the calm before it that the schedule planned.
    let slip = 0;
    for (const [i, step] of s.chaos.entries()) {
      const prev = s.chaos[i - 1];
      const prevEvent = chaos[i - 1];
      if (prev && prevEvent?.recoveredAtS != null) {
        slip = Math.max(slip, prevEvent.recoveredAtS - (prevEvent.atS + prev.recoverAfterS));
      }
      await sleepUntil(engine, (step.atS + slip) * 1000);
      const event: ChaosEvent = {
        fault: step.fault,
        target: '',
        atS: engine.now() / 1000,
        recoveredAtS: null,
        errorWindowS: 0,
        errors: 0,
        maxErrorWindowS: step.maxErrorWindowS,
        statuses: {},
      };
      chaos.push(event);
      activeFault = step.fault;
      let injected: Injected | undefined;
      try {
        injected = await inject(step.fault, { env: o.env, hotPost: posts[0]!, sampleUsers, secondApi: o.secondApi });
        event.target = injected.target;
        o.progress(`⚡ ${step.fault}: ${injected.target}`);
      } catch (err) {
        event.target = `FAILED TO INJECT: ${(err as Error).message}`;
        o.progress(`⚡ ${step.fault}: ${event.target}`);
      }
      await sleepUntil(engine, (event.atS + step.recoverAfterS) * 1000);
      try {
        await injected?.recover();
        event.recoveredAtS = engine.now() / 1000;
        o.progress(`✚ ${step.fault}: recovered after ${(event.recoveredAtS - event.atS).toFixed(1)} s`);
      } catch (err) {
        o.progress(`✚ ${step.fault}: RECOVERY FAILED: ${(err as Error).message}`);
      }
      activeFault = '';
    }
    chaosFinished = true;
  })();

  // Bots act beside the phases at their own fixed rate, one second at a time until the phases end.
  let phasesDone = false;
  const botsDone = (async () => {
    const { count, ratePerSecond } = s.workload.bots;
    if (count === 0) return;
    recorder.beginPhase('bots', 'constant', count * ratePerSecond, 0);
    let i = 0;
    for (let t = 0; !phasesDone; t += 1000) {
      await engine.segment('bots', count * ratePerSecond, t, 1000, () => workload.bot(i++ % count));
    }
    recorder.endPhase('bots', engine.now());
  })();

  let saturation: RunSummary['saturation'] = null;
  let cursor = 0;
  for (const phase of s.phases) {
    phaseName = phase.name;
    if (phase.kind === 'constant' || phase.kind === 'hold') {
      rate =
        phase.kind === 'constant'
          ? phase.rate
          : phase.fractionOfSaturation * (saturation?.rate ?? firstStepRate(s) ?? 100);
      recorder.beginPhase(phase.name, phase.kind, rate, cursor);
      await engine.segment(phase.name, rate, cursor, phase.durationS * 1000, () => workload.next());
      cursor += phase.durationS * 1000;
      recorder.endPhase(phase.name, cursor);
    } else {
      const found = await findSaturation(
        phase,
        engine,
        recorder,
        cursor,
        () => workload.next(),
        (r) => (rate = r),
      );
      saturation = found.saturation;
      cursor = found.endMs;
    }
  }
  // The load outlasts the chaos schedule: if recoveries overran the phases, the last phase goes on until the
  // last part is back and then 10 s more, so every recovery is seen under load.
  const last = s.phases.at(-1)!;
  if (!chaosFinished && last.kind !== 'steps') {
    while (!chaosFinished) {
      await engine.segment(last.name, rate, cursor, 1_000, () => workload.next());
      cursor += 1_000;
    }
    await engine.segment(last.name, rate, cursor, 10_000, () => workload.next());
    cursor += 10_000;
    recorder.endPhase(last.name, cursor);
  }
  phasesDone = true;
  await botsDone;
  await chaosDone;
  phaseName = 'drain';
  rate = 0;
  await engine.drained();
  clearInterval(progress);
  endpoints.close();
  await produce.stop();
  await ledger.close();

  o.progress('load done; waiting for the pipeline to go quiet and auditing Postgres…');
  const allPosts = posts;
  const audit = await auditor.audit(ledger, allPosts, produce.total, workload.replayMismatches);
  await auditor.close();

  const phases = recorder.phaseSummaries();
  chaos.forEach((c, i) => {
    const next = chaos[i + 1]?.atS ?? Infinity;
    Object.assign(c, errorWindow(recorder.errors, c.atS, next));
  });
  const thresholds = judge(s, phases, chaos, audit);
  return {
    scenario: s.name,
    description: s.description,
    profile: s.profile,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    target: { apiUrls, kafkaBrokers: o.env.kafkaBrokers.length },
    phases,
    saturation,
    timeline: recorder.timeline(),
    chaos,
    audit,
    thresholds,
    pass: thresholds.every((t) => t.pass),
  };
}

function firstStepRate(s: Scenario): number | undefined {
  const steps = s.phases.find((p) => p.kind === 'steps');
  return steps?.kind === 'steps' ? steps.startRate : undefined;
}

/**
 * The steps phase: rate × factor every step until a step misses its targets. A step is judged once all its
 * requests have ended (answered or timed out), while the next step already runs; the step in progress when a
 * verdict of saturation arrives is cut short.
 */
async function findSaturation(
  phase: Extract<Scenario['phases'][number], { kind: 'steps' }>,
  engine: Engine,
  recorder: Recorder,
  startMs: number,
  make: Parameters<Engine['segment']>[4],
  onRate: (rate: number) => void,
): Promise<{ saturation: NonNullable<RunSummary['saturation']>; endMs: number }> {
  const stepMs = phase.stepDurationS * 1000;
  const stop = new AbortController();
  let lastGood: number | null = null;
  let reason = `reached maxRate ${phase.maxRate}/s without missing a target`;
  const verdicts: Promise<void>[] = [];
  let cursor = startMs;
  for (
    let k = 0, rate = phase.startRate;
    !stop.signal.aborted;
    k++, rate = Math.min(phase.maxRate, rate * phase.factor)
  ) {
    const name = `${phase.name}-${k + 1}`;
    onRate(rate);
    recorder.beginPhase(name, 'step', rate, cursor);
    await engine.segment(name, rate, cursor, stepMs, make, stop.signal);
    cursor = Math.min(cursor + stepMs, engine.now());
    recorder.endPhase(name, cursor);
    const stepRate = rate;
    verdicts.push(
      settled(recorder, name).then((p) => {
        if (stop.signal.aborted) return;
        const miss = missed(p, phase.saturatedWhen);
        if (miss) {
          reason = `step ${k + 1} at ${Math.round(stepRate)}/s missed: ${miss}`;
          stop.abort();
        } else lastGood = stepRate;
      }),
    );
    if (rate >= phase.maxRate) {
      await Promise.all(verdicts);
      break;
    }
  }
  await Promise.all(verdicts);
  return { saturation: { rate: lastGood ?? phase.startRate, reason }, endMs: cursor };
}

/** Resolves with a phase's figures once every arrival in it has ended. */
async function settled(recorder: Recorder, name: string): Promise<PhaseSummary> {
  for (;;) {
    const p = recorder.phase(name);
    if (p.ok + p.errors + p.expectedRejections + p.dropped >= p.arrivals) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function missed(
  p: PhaseSummary,
  t: Extract<Scenario['phases'][number], { kind: 'steps' }>['saturatedWhen'],
): string | null {
  const answered = p.ok + p.errors;
  const misses: string[] = [];
  if (p.latency.p99 > t.p99Ms) misses.push(`p99 ${p.latency.p99.toFixed(0)} ms > ${t.p99Ms} ms`);
  if (answered && p.errors / answered > t.errorRate)
    misses.push(`errors ${((100 * p.errors) / answered).toFixed(2)} %`);
  if (p.arrivals && p.dropped / p.arrivals > t.droppedRate) {
    misses.push(`dropped ${((100 * p.dropped) / p.arrivals).toFixed(2)} %`);
  }
  return misses.length ? misses.join(', ') : null;
}

async function createPosts(api: string, token: string, runId: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${runId}-p${i}`);
  for (let i = 0; i < ids.length; i += 16) {
    await Promise.all(
      ids.slice(i, i + 16).map(async (id) => {
        const r = await fetch(new URL('/api/posts', api), {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ id }),
        });
        if (r.status !== 201) throw new Error(`creating post ${id}: ${r.status} ${await r.text()}`);
      }),
    );
  }
  return ids;
}
