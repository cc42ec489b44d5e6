import {
  condition,
  createJwtSecret,
  createNamespace,
  deleteNamespace,
  getJson,
  installChart,
  kubectlApply,
  operatorKubeconfig,
  OperatorProcess,
  uniqueName,
  waitFor,
} from '../support/k8s.js';

/** Two operator processes share one Lease: one reconciles, the other stands by and takes over when it dies. */
const ns = uniqueName('lp-leader');
const ops: OperatorProcess[] = [];

const pipeline = (name: string) =>
  JSON.stringify({
    apiVersion: 'likepipe.io/v1alpha1',
    kind: 'LikePipeline',
    metadata: { name, namespace: ns },
    spec: {
      api: { minReplicas: 1, jwtSecretRef: { name: 'likepipe-jwt' } },
      redis: { mode: 'external', external: { nodes: ['redis.example:6379'] } },
      kafka: { mode: 'external', external: { bootstrapServers: ['kafka.example:9092'] } },
      postgres: { mode: 'external', external: { urlSecretRef: { name: 'likepipe-jwt', key: 'jwt-secret' } } },
    },
  });

const lease = async () =>
  (await getJson('lease', 'likepipe-operator', 'likepipe-system'))?.spec?.holderIdentity as string | undefined;

beforeAll(async () => {
  await installChart();
  await createNamespace(ns);
  await createJwtSecret(ns);
});

afterAll(async () => {
  await Promise.all(ops.map((o) => o.stop()));
  await deleteNamespace(ns);
});

test('only the leader reconciles; killing it hands over to the other', async () => {
  const kubeconfig = await operatorKubeconfig();
  // Whoever holds the lease from an earlier test file must be gone: wait for it to expire.
  await waitFor('no live lease holder', async () => {
    const holder = await lease();
    return !holder || !ops.some((o) => o.id === holder);
  });
  const a = new OperatorProcess('a', kubeconfig).start();
  const b = new OperatorProcess('b', kubeconfig).start();
  ops.push(a, b);
  const holder = await waitFor(
    'a leader',
    async () => {
      const h = await lease();
      return (h === a.id || h === b.id) && h;
    },
    30_000,
  );
  const [leader, follower] = holder === a.id ? [a, b] : [b, a];

  await kubectlApply(pipeline('first'));
  await waitFor(
    'first Ready',
    async () => condition(await getJson('lp', 'first', ns), 'Ready')?.status === 'True',
    60_000,
  );
  expect(await leader.metric('likepipe_operator_leader')).toBe(1);
  expect(await follower.metric('likepipe_operator_leader')).toBe(0);
  expect(await leader.metric('likepipe_operator_reconcile_total')).toBeGreaterThan(0);
  expect(await follower.metric('likepipe_operator_reconcile_total')).toBe(0);

  // SIGKILL: no graceful release, so the follower must wait the lease out.
  await leader.stop('SIGKILL');
  await waitFor('the follower to take the lease', async () => (await lease()) === follower.id, 30_000);
  await kubectlApply(pipeline('second'));
  await waitFor(
    'second Ready, reconciled by the new leader',
    async () => condition(await getJson('lp', 'second', ns), 'Ready')?.status === 'True',
    60_000,
  );
  expect(await follower.metric('likepipe_operator_leader')).toBe(1);
  expect(await follower.metric('likepipe_operator_reconcile_total')).toBeGreaterThan(0);

  // A graceful stop gives the lease up at once.
  await follower.stop('SIGTERM');
  expect(await lease()).toBeFalsy();
});
