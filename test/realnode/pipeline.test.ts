import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { SignJWT } from 'jose';
import pg from 'pg';
import {
  CONTAINERD,
  NODE,
  STORAGE_CLASS,
  describeStuckPods,
  forward,
  inNode,
  onRealNode,
  requireNode,
  run,
  saveArtifacts,
} from '../support/realnode.js';
import type { Forward } from '../support/realnode.js';
import type { Obj } from '../support/k8s.js';

/**
 * The whole pipeline in real pods, as a user runs it on kind: the operator installed by the chart from the image
 * `npm run images` built (scripts/test.sh loaded every image into the node's containerd, as `kind load` would),
 * charts/likepipe-operator/examples/small.yaml applied, every data store and role started from its image on the
 * real kubelet node, and likes served through the API's Service. Two changes to what a user applies, both
 * because this control plane is shared with the kwok suites: the namespaces carry annotations that place their
 * pods on the (tainted) real node, and the three volumes name the node's StorageClass of local volumes.
 */
const k8s = NODE ? await import('../support/k8s.js') : undefined;

const NAME = 'likes';
const RELEASE = 'lp-real';
const JWT_SECRET = 'realnode-test-key-0123456789abcdef0123456789abcdef';

interface Ack {
  post: string;
  user: string;
}

describe('a LikePipeline in real pods on the real node', () => {
  const suffix = k8s ? k8s.uniqueName('x').slice(2) : '';
  const ns = `lp-real-${suffix}`;
  const opNs = `lp-real-system-${suffix}`;
  let api: Forward | undefined;
  let db: pg.Pool | undefined;
  let dbForward: Forward | undefined;

  const tokens = new Map<string, Promise<string>>();
  const token = (user: string) => {
    if (!tokens.has(user)) {
      tokens.set(
        user,
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(user)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(JWT_SECRET)),
      );
    }
    return tokens.get(user)!;
  };
  async function call(method: string, path: string, user: string, body?: unknown) {
    const res = await fetch(`${api!.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(user)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let json: Obj | undefined;
    try {
      json = JSON.parse(text) as Obj;
    } catch {
      json = undefined;
    }
    return { status: res.status, body: json, text };
  }

  const pods = async (namespace: string, selector?: string): Promise<Obj[]> =>
    (
      JSON.parse(
        await k8s!.kubectl('get', 'pods', '-n', namespace, ...(selector ? ['-l', selector] : []), '-o', 'json'),
      ) as { items: Obj[] }
    ).items;
  const ready = (p: Obj) =>
    p.status?.phase === 'Running' &&
    !p.metadata.deletionTimestamp &&
    (p.status.containerStatuses as Obj[] | undefined)?.every((c) => c.ready === true) === true;
  const lpReady = async () => {
    const lp = await k8s!.getJson('likepipeline', NAME, ns);
    return k8s!.condition(lp, 'Ready')?.status === 'True' && lp?.status?.observedGeneration === lp?.metadata.generation
      ? lp
      : undefined;
  };
  const serviceIp = async (name: string) => (await k8s!.getJson('service', name, ns))!.spec.clusterIP as string;

  beforeAll(async () => {
    requireNode();
    for (const n of [opNs, ns]) {
      await k8s!.kubectlApply(
        JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, annotations: onRealNode() } }),
      );
    }
    await k8s!.waitFor(
      'the default ServiceAccounts',
      async () =>
        (await k8s!.getJson('serviceaccount', 'default', ns)) && k8s!.getJson('serviceaccount', 'default', opNs),
    );
  });

  afterAll(async () => {
    if (!k8s) return;
    // Kept whatever the outcome (jest tells an afterAll nothing about failures); the next run's fresh state
    // directory removes them.
    await saveArtifacts(suffix, [opNs, ns]).catch(() => undefined);
    await api?.close();
    await db?.end();
    await dbForward?.close();
    await k8s.helm('uninstall', RELEASE, '-n', opNs, '--wait', '--timeout', '60s');
    await k8s.deleteNamespace(ns);
    await k8s.deleteNamespace(opNs);
  });

  it('helm installs the operator from its image, and it runs Ready on the real node', async () => {
    const r = await k8s!.helm(
      'install',
      RELEASE,
      k8s!.CHART,
      '-n',
      opNs,
      '--set',
      `watchNamespace=${ns}`,
      '--set',
      'replicas=1',
      '--wait',
      '--timeout',
      '180s',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [op] = await pods(opNs, `app.kubernetes.io/instance=${RELEASE}`);
    expect(op).toBeDefined();
    expect(op!.spec.nodeName).toBe(NODE);
    expect(ready(op!)).toBe(true);
    // The image the chart names by default is the one scripts/images.sh built (loaded, never pulled).
    expect(op!.status.containerStatuses[0].image).toBe(`docker.io/${process.env.LIKEPIPE_IMAGE_OPERATOR}`);
  }, 240_000);

  it('applies examples/small.yaml and every data store and role really runs', async () => {
    await k8s!.kubectl(
      'create',
      'secret',
      'generic',
      'likepipe-jwt',
      '-n',
      ns,
      `--from-literal=jwt-secret=${JWT_SECRET}`,
    );
    const lp = yaml.load(readFileSync(k8s!.SMALL_EXAMPLE, 'utf8')) as Obj;
    for (const store of ['redis', 'kafka', 'postgres']) lp.spec[store].storage.storageClassName = STORAGE_CLASS;
    await k8s!.kubectlApply(JSON.stringify(lp), '-n', ns);
    await k8s!.waitFor('the LikePipeline to be Ready', lpReady, 600_000, 2000).catch(async (err: Error) => {
      const lp = await k8s!.getJson('likepipeline', NAME, ns).catch(() => undefined);
      const conditions = ((lp?.status?.conditions ?? []) as Obj[])
        .map((c) => `${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`)
        .join('; ');
      throw new Error(`${err.message}\nconditions: ${conditions || 'none'}\n${await describeStuckPods(ns)}`);
    });
    const all = await pods(ns);
    const running = all.filter((p) => p.status?.phase === 'Running');
    // 3 Redis nodes, 1 Kafka broker, 1 Postgres, the API and the five worker roles (plus the keeper).
    expect(running.length).toBeGreaterThanOrEqual(11);
    for (const p of running) {
      expect(p.spec.nodeName).toBe(NODE);
      expect(ready(p)).toBe(true);
    }
    // The Redis Cluster the keeper formed from the pods' real addresses: all slots served by 3 masters.
    const redis = all.filter((p) => p.metadata.labels['app.kubernetes.io/component'] === 'redis');
    expect(redis).toHaveLength(3);
    const info = await inNode('redis-cli', '-h', redis[0]!.status.podIP, '-p', '6379', 'cluster', 'info');
    expect(info).toMatch(/cluster_state:ok/);
    expect(info).toMatch(/cluster_slots_assigned:16384/);
    expect(info).toMatch(/cluster_known_nodes:3/);
  }, 660_000);

  it('serves a like through the API Service and writes it to Postgres', async () => {
    api = await forward(await serviceIp(`${NAME}-api`), 80);
    const secret = (await k8s!.getJson('secret', `${NAME}-postgres`, ns))!;
    const field = (k: string) => Buffer.from(secret.data[k] as string, 'base64').toString();
    dbForward = await forward(await serviceIp(`${NAME}-postgres`), 5432);
    db = new pg.Pool({
      host: '127.0.0.1',
      port: dbForward.port,
      user: field('username'),
      password: field('password'),
      database: 'likepipe',
      max: 2,
    });
    const post = `real-${suffix}`;
    const created = await call('POST', '/api/posts', 'author-1', { id: post });
    expect(created.status).toBe(201);
    const liked = await call('POST', `/api/posts/${post}/like`, 'fan-1');
    expect(liked.status).toBe(200);
    expect(liked.body).toMatchObject({ postId: post, liked: true, changed: true, likeCount: 1 });
    const row = await k8s!.waitFor(
      'the like in Postgres',
      async () =>
        (
          await db!.query<{ like_count: string }>(
            "SELECT p.like_count FROM posts p JOIN likes l ON l.post_id = p.id AND l.user_id = 'fan-1' WHERE p.id = $1",
            [post],
          )
        ).rows[0],
      60_000,
      500,
    );
    expect(Number(row.like_count)).toBe(1);
  }, 120_000);

  it('loses no acknowledged like when a Redis pod and the truth-writer pod are killed under load', async () => {
    const posts = [0, 1, 2, 3].map((i) => `load-${suffix}-${i}`);
    for (const p of posts) expect((await call('POST', '/api/posts', 'author-2', { id: p })).status).toBe(201);
    const acked: Ack[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        const a = { post: posts[i % posts.length]!, user: `u-${i}` };
        const r = await call('POST', `/api/posts/${a.post}/like`, a.user).catch(() => ({ status: 0 }));
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status >= 200 && r.status < 300) acked.push(a);
        else await new Promise((res) => setTimeout(res, 100));
      }
    };
    const workers = [worker(), worker(), worker()];
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    await sleep(3000);
    const [redisPod] = await pods(ns, 'app.kubernetes.io/component=redis');
    await k8s!.kubectl('delete', 'pod', redisPod!.metadata.name, '-n', ns, '--grace-period=0', '--force');
    await sleep(5000);
    const [writer] = await pods(ns, 'app.kubernetes.io/component=truth-writer');
    await k8s!.kubectl('delete', 'pod', writer!.metadata.name, '-n', ns, '--grace-period=0', '--force');
    await sleep(5000);
    // Both come back (new pods, a new address for the Redis node); the load goes on until they have.
    await k8s!.waitFor('the LikePipeline to be Ready again', lpReady, 300_000, 2000);
    await sleep(3000);
    stop = true;
    await Promise.all(workers);
    const summary = JSON.stringify(Object.fromEntries(statuses));
    console.log(`realnode load: ${n} likes sent, ${acked.length} acknowledged; answers by status ${summary}`);
    expect(acked.length).toBeGreaterThan(20);
    // After the pipeline is quiet: every acknowledged like is a row, once, and every count equals its rows.
    await k8s!.waitFor(
      `every acknowledged like (${acked.length}; statuses ${summary}) in Postgres`,
      async () => {
        const { rows } = await db!.query<{ post_id: string; user_id: string }>(
          'SELECT post_id, user_id FROM likes WHERE post_id = ANY($1)',
          [posts],
        );
        const have = new Set(rows.map((r) => `${r.post_id}/${r.user_id}`));
        return acked.every((a) => have.has(`${a.post}/${a.user}`));
      },
      120_000,
      1000,
    );
    const { rows } = await db!.query<{ id: string; like_count: string; rows: string }>(
      'SELECT p.id, p.like_count, (SELECT count(*) FROM likes l WHERE l.post_id = p.id) AS rows FROM posts p WHERE p.id = ANY($1)',
      [posts],
    );
    expect(rows).toHaveLength(posts.length);
    for (const r of rows) expect(Number(r.like_count)).toBe(Number(r.rows));
    const total = rows.reduce((s, r) => s + Number(r.rows), 0);
    expect(total).toBeGreaterThanOrEqual(acked.length);
    expect(total).toBeLessThanOrEqual(n);
  }, 600_000);

  it('helm upgrade with a changed value rolls the operator, which goes on reconciling', async () => {
    const before = (await pods(opNs, `app.kubernetes.io/instance=${RELEASE}`)).map((p) => p.metadata.name as string);
    const r = await k8s!.helm(
      'upgrade',
      RELEASE,
      k8s!.CHART,
      '-n',
      opNs,
      '--reuse-values',
      '--set',
      'logLevel=debug',
      '--wait',
      '--timeout',
      '180s',
    );
    expect(r.code).toBe(0);
    const after = await k8s!.waitFor('the old operator pod to go', async () => {
      const now = await pods(opNs, `app.kubernetes.io/instance=${RELEASE}`);
      return now.length === 1 && !before.includes(now[0]!.metadata.name as string) && ready(now[0]!) && now[0];
    });
    const env = after.spec.containers[0].env as { name: string; value?: string }[];
    expect(env.find((e) => e.name === 'LIKEPIPE_LOG_LEVEL')?.value).toBe('debug');
    // The new operator reconciles: a change to the spec reaches the API's Deployment.
    await k8s!.kubectl(
      'patch',
      'likepipeline',
      NAME,
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"api":{"maxReplicas":2}}}',
    );
    await k8s!.waitFor(
      'the API autoscaler to take the new maxReplicas',
      async () => (await k8s!.getJson('hpa', `${NAME}-api`, ns))?.spec.maxReplicas === 2,
      60_000,
      500,
    );
  }, 240_000);

  it('deleting the LikePipeline garbage-collects what it owned and its containers stop', async () => {
    await api?.close();
    api = undefined;
    await db?.end();
    db = undefined;
    await dbForward?.close();
    dbForward = undefined;
    expect((await k8s!.ownedObjects(ns, NAME)).size).toBeGreaterThan(0);
    await k8s!.kubectl('delete', 'likepipeline', NAME, '-n', ns, '--wait=true', '--timeout=120s');
    await k8s!.waitFor('every owned object to go', async () => (await k8s!.ownedObjects(ns, NAME)).size === 0, 120_000);
    await k8s!.waitFor('every pod to go', async () => (await pods(ns)).length === 0, 180_000, 1000);
    // Not one container of the pipeline is left on the node (the kubelet removes them shortly after the pods).
    await k8s!.waitFor(
      'the pipeline containers to be removed from the node',
      async () =>
        (
          await run('ctr', [
            '--address',
            CONTAINERD,
            '-n',
            'k8s.io',
            'containers',
            'ls',
            '-q',
            `labels."io.kubernetes.pod.namespace"==${ns}`,
          ])
        ).trim() === '',
      120_000,
      1000,
    );
  }, 360_000);
});
