export interface PeriodicTask {
  /** No new run starts; resolves once the run in progress (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `run` now and then `intervalMs` after each run ends: chained timeouts, not setInterval, so a slow run
 * never overlaps the next one and a stuck one delays the schedule instead of piling up. A run that throws is
 * handed to `onError` and the schedule goes on (each task decides in `run` what a failure means to it).
 */
export function startPeriodicTask(
  intervalMs: number,
  run: () => Promise<void>,
  onError: (err: unknown) => void,
): PeriodicTask {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  const loop = () => {
    if (stopped) return;
    current = run()
      .catch(onError)
      .finally(() => {
        current = undefined;
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
