import { call, closeClients, likedPost, waitFor, waitHealthy } from '../support/stack.js';

/** Every consumer role reports its group's lag on /metrics: what the lag autoscaler and dashboards read. */
const ROLES = [
  { group: 'likepipe-truth-writer', port: process.env.LIKEPIPE_TRUTH_WRITER_METRICS_PORT ?? '9564' },
  { group: 'likepipe-analytics', port: process.env.LIKEPIPE_ANALYTICS_METRICS_PORT ?? '9567' },
  { group: 'likepipe-notifier', port: process.env.LIKEPIPE_NOTIFIER_METRICS_PORT ?? '9568' },
];

beforeAll(() => waitHealthy());
afterAll(() => closeClients());

async function lagOf(group: string, port: string): Promise<number | undefined> {
  const r = await call('GET', '/metrics', { base: `http://127.0.0.1:${port}` });
  const line = String(r.body)
    .split('\n')
    .find((l) => l.startsWith(`likepipe_kafka_consumer_lag{group="${group}",topic="like-events"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

it('reports likepipe_kafka_consumer_lag{group,topic} per consumer role, back to 0 once the group has caught up', async () => {
  await likedPost('lag', 20);
  for (const { group, port } of ROLES) {
    await waitFor(`${group} to report a lag of 0`, async () => (await lagOf(group, port)) === 0, 30_000, 500);
  }
});
