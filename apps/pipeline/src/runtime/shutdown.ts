import type { Logger } from '../observability/logger.js';

/** Runs `stop` once on SIGTERM or SIGINT; a second signal or a stuck stop exits hard. */
export function onShutdown(log: Logger, stop: () => Promise<void>, hardTimeoutMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('shutting down', { signal });
    const timer = setTimeout(() => {
      log.error('shutdown took too long; exiting', { hardTimeoutMs });
      process.exit(1);
    }, hardTimeoutMs);
    timer.unref();
    stop()
      .then(
        () => log.info('stopped'),
        (err: unknown) => {
          log.error('error during shutdown', { err: err instanceof Error ? err : String(err) });
          process.exitCode = 1;
        },
      )
      // Stopped in time: the caller exits now (run-role.ts), and a process that embeds a role (a test) lives on.
      .finally(() => clearTimeout(timer));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
