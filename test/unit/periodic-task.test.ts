import { startPeriodicTask } from '@likepipe/pipeline/runtime/periodic-task.js';

/** The periodic-task helper (apps/pipeline/src/runtime/periodic-task.ts) with real (short) timers. */
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startPeriodicTask', () => {
  it('runs at once, then again an interval after each run ends, never two at a time', async () => {
    let running = 0;
    let overlap = false;
    const starts: number[] = [];
    const task = startPeriodicTask(
      10,
      async () => {
        if (running++ > 0) overlap = true;
        starts.push(Date.now());
        await wait(30); // longer than the interval
        running--;
      },
      () => undefined,
    );
    await wait(5);
    expect(starts).toHaveLength(1);
    await wait(150);
    await task.stop();
    expect(overlap).toBe(false);
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(35);
  });

  it('stop() waits for the run in progress and starts no other', async () => {
    let finished = 0;
    let started = 0;
    const task = startPeriodicTask(
      1,
      async () => {
        started++;
        await wait(50);
        finished++;
      },
      () => undefined,
    );
    await wait(10);
    await task.stop();
    expect(finished).toBe(started);
    await wait(30);
    expect(started).toBe(finished);
  });

  it('hands a failed run to onError and keeps the schedule', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = startPeriodicTask(
      5,
      async () => {
        runs++;
        throw new Error(`run ${runs}`);
      },
      (err) => errors.push(err),
    );
    await wait(60);
    await task.stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(errors).toHaveLength(runs);
  });
});
