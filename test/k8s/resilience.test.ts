import {
  condition,
  createJwtSecret,
  createNamespace,
  deleteNamespace,
  getJson,
  installChart,
  kubectl,
  kubectlApply,
  operatorKubeconfig,
  OperatorProcess,
  ROOT,
  uniqueName,
  waitFor,
} from '../support/k8s.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Failures around the operator: a pipeline that cannot be applied, and the API server going away. */
const broken = uniqueName('lp-broken');
const healthy = uniqueName('lp-healthy');
let op: OperatorProcess;

const pipeline = (name: string, namespace: string, maxReplicas = 4) =>
  JSON.stringify({
    apiVersion: 'likepipe.io/v1alpha1',
    kind: 'LikePipeline',
    metadata: { name, namespace },
    spec: {
      api: { minReplicas: 1, maxReplicas, jwtSecretRef: { name: 'likepipe-jwt' } },
      redis: { mode: 'external', external: { nodes: ['redis.example:6379'] } },
      kafka: { mode: 'external', external: { bootstrapServers: ['kafka.example:9092'] } },
      postgres: { mode: 'external', external: { urlSecretRef: { name: 'likepipe-jwt', key: 'jwt-secret' } } },
    },
  });
const ready = async (name: string, ns: string) => condition(await getJson('lp', name, ns), 'Ready')?.status === 'True';

beforeAll(async () => {
  await installChart();
  for (const ns of [broken, healthy]) {
    await createNamespace(ns);
    await createJwtSecret(ns);
  }
  // Leader election off: while the API server restarts below, a leader would (rightly) step down and exit.
  op = new OperatorProcess('resilience', await operatorKubeconfig(), { LIKEPIPE_LEADER_ELECTION: 'false' }).start();
});

afterAll(async () => {
  await op?.stop();
  await Promise.all([deleteNamespace(broken), deleteNamespace(healthy)]);
});

test('a pipeline that cannot be applied reports ApplyFailed and retries with backoff; the others carry on', async () => {
  // A quota that forbids Services: every apply of the API Service fails with the API server's own message.
  await kubectlApply(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'no-services', namespace: broken },
      spec: { hard: { services: '0' } },
    }),
  );
  await kubectlApply(pipeline('lp', broken));
  await kubectlApply(pipeline('lp', healthy));
  const lp = await waitFor('ApplyFailed', async () => {
    const o = await getJson('lp', 'lp', broken);
    return condition(o, 'Ready')?.reason === 'ApplyFailed' && o;
  });
  expect(condition(lp, 'Ready')!.message).toMatch(/apply Service lp-\S+: .*exceeded quota: no-services/);
  expect(lp.status.phase).toBe('Failed');
  await waitFor('the healthy pipeline Ready meanwhile', () => ready('lp', healthy));
  await waitFor('retries', async () => (await op.metric('likepipe_operator_reconcile_errors_total')) >= 2);

  await kubectl('delete', 'resourcequota', 'no-services', '-n', broken);
  await waitFor('the broken pipeline to recover on its own', () => ready('lp', broken), 30_000);
});

test('watches come back after the API server restarts', async () => {
  await waitFor('Ready before', () => ready('lp', healthy));
  const run = promisify(execFile);
  await run('bash', [`${ROOT}scripts/k8s/control-plane.sh`, 'restart'], { timeout: 120_000 });
  await kubectlApply(pipeline('lp', healthy, 7));
  await waitFor(
    'the operator to see the change through its restarted watch',
    async () => (await getJson('hpa', 'lp-api', healthy))?.spec.maxReplicas === 7,
    60_000,
    500,
  );
});
