import { createLogger } from '@likepipe/pipeline/observability/logger.js';
import { RoleProcess } from '@likepipe/pipeline/runtime/role-process.js';

/**
 * The scaffolding every worker role shares (apps/pipeline/src/runtime/role-process.ts): readiness, and the
 * order in which SIGTERM stops what a role started. The signal is emitted in-process, so nothing is killed.
 */
const signals = ['SIGTERM', 'SIGINT'] as const;
let before: Map<string, Function[]>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
beforeEach(() => {
  before = new Map(signals.map((s) => [s, process.listeners(s)]));
});
afterEach(() => {
  for (const s of signals)
    for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.removeListener(s, l);
  process.exitCode = undefined;
});

const log = createLogger('role-process-test', 'error');
const config = { LIKEPIPE_METRICS_PORT: 0, LIKEPIPE_METRICS_HOST: '127.0.0.1' };

it('is ready while it runs; SIGTERM drops readiness first, then stops what it started, last started first', async () => {
  const proc = new RoleProcess('analytics', log);
  await proc.serveMetrics(config);
  const steps: string[] = [];
  const readyDuringStop: boolean[] = [];
  const server = (proc as unknown as { server: import('node:http').Server }).server;
  const port = (server.address() as import('node:net').AddressInfo).port;
  const readyz = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  expect(await readyz()).toBe(503);
  proc.onStop(async () => {
    steps.push('consumer');
  });
  proc.onStop(async () => {
    readyDuringStop.push((await readyz()) === 200);
    steps.push('periodic task');
  });
  const running = proc.run();
  expect(await readyz()).toBe(200);
  process.emit('SIGTERM', 'SIGTERM');
  await running;
  expect(steps).toEqual(['periodic task', 'consumer']);
  expect(readyDuringStop).toEqual([false]);
  expect(server.listening).toBe(false);
});

it('a failing stop step does not keep the others from running, and the exit status says it failed', async () => {
  const proc = new RoleProcess('notifier', log);
  const steps: string[] = [];
  proc.onStop(async () => {
    steps.push('consumer');
  });
  proc.onStop(async () => {
    throw new Error('Kafka gone');
  });
  const running = proc.run();
  process.emit('SIGTERM', 'SIGTERM');
  await running;
  expect(steps).toEqual(['consumer']);
  expect(process.exitCode).toBe(1);
});

it('is not ready while a readyOnlyWhile condition fails (a consumer restarting after a stall), whatever else holds', async () => {
  const proc = new RoleProcess('feed-ranker', log);
  let consumerReady = true;
  proc.readyOnlyWhile(() => consumerReady);
  await proc.serveMetrics(config);
  const server = (proc as unknown as { server: import('node:http').Server }).server;
  const port = (server.address() as import('node:net').AddressInfo).port;
  const readyz = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  const running = proc.run();
  expect(await readyz()).toBe(200);
  consumerReady = false;
  expect(await readyz()).toBe(503);
  consumerReady = true;
  expect(await readyz()).toBe(200);
  process.emit('SIGTERM', 'SIGTERM');
  await running;
});
