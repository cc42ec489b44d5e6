import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClusterInfo, parseClusterNodes, type ClusterNodeEntry } from '@likepipe/ops';
import { createLogger } from '@likepipe/pipeline/observability/logger.js';
import { RedisClusterKeeper } from '@likepipe/pipeline/redis/cluster-keeper.js';
import { Redis } from 'ioredis';

/**
 * The keeper against six real cluster-enabled redis-server processes of its own (not the test stack's
 * cluster): it creates the cluster, then leaves a healthy cluster alone, then brings back a replica that lost
 * nodes.conf and forgets its old id.
 */
const REDIS_SERVER = process.env.LIKEPIPE_REDIS_SERVER ?? '/usr/bin/redis-server';
// Beside the test stack's own Redis ports (7001-7006 + offset), inside its offset block, so stacks run side
// by side at other offsets (scripts/lib/private-stack.sh) never meet this test's servers.
const OFFSET = Number(process.env.LIKEPIPE_TEST_OFFSET ?? 100);
const PORTS = [7011, 7012, 7013, 7014, 7015, 7016].map((p) => p + OFFSET);
const NODES = PORTS.map((p) => `127.0.0.1:${p}`);
const DIR_PREFIX = 'likepipe-keeper-test-';

let dir: string;
const servers = new Map<number, ChildProcess>();

async function withNode<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, connectTimeout: 1_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

async function view(port: number): Promise<{ myId: string; nodes: ClusterNodeEntry[]; state: string }> {
  return withNode(port, async (c) => ({
    myId: String(await c.call('CLUSTER', 'MYID')),
    nodes: parseClusterNodes(String(await c.call('CLUSTER', 'NODES'))),
    state: parseClusterInfo(String(await c.call('CLUSTER', 'INFO'))).cluster_state ?? '',
  }));
}

async function until<T>(what: string, fn: () => Promise<T | false | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== false && v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startServer(port: number): Promise<void> {
  const nodeDir = join(dir, String(port));
  mkdirSync(nodeDir, { recursive: true });
  const child = spawn(
    REDIS_SERVER,
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--logfile', join(nodeDir, 'redis.log')],
      ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
      ...['--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    ],
    { stdio: 'ignore' },
  );
  servers.set(port, child);
  await until(`redis-server on ${port}`, () => withNode(port, async (c) => (await c.ping()) === 'PONG'), 10_000);
}

async function stopServer(port: number): Promise<void> {
  const child = servers.get(port);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** A server on our ports left behind by an interrupted earlier run of this test is stopped; anything else fails. */
async function clearPort(port: number): Promise<void> {
  const leftover = await withNode(port, async (c) => {
    const [, d] = (await c.config('GET', 'dir')) as [string, string];
    return d;
  }).catch(() => undefined);
  if (leftover === undefined) return;
  if (!leftover.includes(DIR_PREFIX)) throw new Error(`port ${port} is taken by a Redis that is not this test's`);
  await withNode(port, (c) => c.call('SHUTDOWN', 'NOSAVE')).catch(() => undefined);
}

const log = createLogger('redis-cluster-keeper-test', 'error');
const keeper = new RedisClusterKeeper(
  { nodes: NODES, shards: 3, replicasPerShard: 1, forgetAfterPasses: 1, awaitTimeoutMs: 15_000 },
  log,
);

/**
 * Converged as the test expects: every node says cluster_state:ok and sees all six current nodes, healthy;
 * three masters serve all slots, each with exactly one replica.
 */
async function converged(): Promise<Map<string, string[]>> {
  const views = await Promise.all(PORTS.map(view));
  const ids = new Set(views.map((v) => v.myId));
  for (const v of views) {
    if (v.state !== 'ok') return new Map();
    const healthy = v.nodes.filter((e) => ids.has(e.id) && !e.failed && !e.suspected && !e.noaddr && !e.handshake);
    if (healthy.length !== 6) return new Map();
  }
  const nodes = views[0]!.nodes.filter((e) => ids.has(e.id));
  const masters = nodes.filter((e) => e.master && e.slots.length > 0);
  const slots = masters.reduce((n, m) => n + m.slots.reduce((k, [a, b]) => k + b - a + 1, 0), 0);
  const replicasOf = new Map(masters.map((m) => [m.id, nodes.filter((e) => e.masterId === m.id).map((e) => e.id)]));
  if (masters.length !== 3 || slots !== 16384 || [...replicasOf.values()].some((r) => r.length !== 1)) return new Map();
  return replicasOf;
}

beforeAll(async () => {
  await Promise.all(PORTS.map(clearPort));
  dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  await Promise.all(PORTS.map(startServer));
});

afterAll(async () => {
  await Promise.all(PORTS.map(stopServer));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('redis-cluster-keeper', () => {
  it('creates the cluster from six empty nodes: 3 masters with 1 replica each, all slots, ok everywhere', async () => {
    const r = await keeper.pass();
    expect(r.plan.mode).toBe('create');
    expect(r.failed).toEqual([]);
    expect(r.actions.map((a) => a.kind)).toEqual([
      ...Array(3).fill('add-slots'),
      ...Array(5).fill('meet'),
      'await-known',
      ...Array(3).fill('replicate'),
    ]);
    const replicasOf = await until('the cluster to converge', async () => {
      const m = await converged();
      return m.size > 0 && m;
    });
    // The documented layout: ordinals 0-2 are the masters, ordinal 3+s replicates shard s.
    const ids = await Promise.all(PORTS.map(async (p) => (await view(p)).myId));
    expect([...replicasOf.keys()].sort()).toEqual(ids.slice(0, 3).sort());
    for (let s = 0; s < 3; s++) expect(replicasOf.get(ids[s]!)).toEqual([ids[3 + s]]);
  });

  it('does nothing to the healthy cluster on the next pass', async () => {
    const r = await keeper.pass();
    expect(r.actions).toEqual([]);
    expect(r.plan.health).toEqual({
      nodes: 6,
      reachable: 6,
      clusterOk: true,
      uncoveredSlots: 0,
      masters: 3,
      replicas: 3,
    });
  });

  it('brings back a replica that lost nodes.conf as a replica again, then forgets its old id', async () => {
    const port = PORTS[5]!;
    const before = await view(port);
    const oldId = before.myId;
    const self = before.nodes.find((e) => e.myself)!;
    expect(self.replica).toBe(true);
    const masterId = self.masterId!;

    await stopServer(port);
    const others = PORTS.filter((p) => p !== port);
    await until('the others to mark the stopped replica as failed', async () => {
      const views = await Promise.all(others.map(view));
      return views.every((v) => v.nodes.some((e) => e.id === oldId && e.failed));
    });
    // While the pod is down its id may come back: nothing to do, and nothing is forgotten.
    const whileDown = await keeper.pass();
    expect(whileDown.actions).toEqual([]);
    expect(whileDown.plan.health.reachable).toBe(5);

    rmSync(join(dir, String(port), 'nodes.conf'));
    await startServer(port);
    const newId = (await view(port)).myId;
    expect(newId).not.toBe(oldId);

    const rejoin = await keeper.pass();
    expect(rejoin.failed).toEqual([]);
    expect(rejoin.actions).toEqual([
      expect.objectContaining({ kind: 'meet', target: 5, ip: '127.0.0.1', port }),
      { kind: 'await-known', nodes: [5], ids: [masterId] },
      expect.objectContaining({ kind: 'replicate', node: 5, masterId }),
    ]);
    const replicasOf = await until('the new node to be a replica everywhere', async () => {
      const m = await converged();
      return m.size > 0 && m;
    });
    expect(replicasOf.get(masterId)).toEqual([newId]);

    // Seen stale on the rejoin pass (1) and now (2 > forgetAfterPasses 1): forgotten on every node that knew it.
    const forget = await keeper.pass();
    expect(forget.failed).toEqual([]);
    expect(forget.actions).toEqual([expect.objectContaining({ kind: 'forget', nodeId: oldId })]);
    const views = await Promise.all(PORTS.map(view));
    for (const v of views) expect(v.nodes.map((e) => e.id)).not.toContain(oldId);

    const after = await keeper.pass();
    expect(after.actions).toEqual([]);
    expect(after.plan.health.clusterOk).toBe(true);
  });
});
