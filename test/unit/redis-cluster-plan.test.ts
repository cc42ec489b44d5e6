import {
  parseClusterNodes,
  planRedisCluster,
  type RedisClusterAction,
  type RedisClusterPlan,
  type RedisClusterShape,
  type RedisNodeObservation,
} from '@likepipe/ops';

/**
 * Scenarios are written as what each pod would print for `CLUSTER NODES`, so the planner sees exactly the
 * parsed shapes the keeper gives it.
 */
interface Pod {
  id: string;
  ip: string;
  port: number;
  /** Set for a replica: the id of its master. */
  master?: string;
  /** Slots of a master, as Redis prints them (`0-5460`). */
  slots?: string;
}

interface Scenario {
  pods: Pod[];
  unreachable?: number[];
  /** Pods that know only themselves and that nobody knows (fresh, or lost nodes.conf). */
  alone?: number[];
  /** `viewer>ordinal` → the line `viewer` prints for that pod instead of the true one; null: not known at all. */
  sees?: Record<string, string | null>;
  /** Lines every pod that is not alone prints in addition (ids of no current pod). */
  extra?: string[];
}

const SHAPE: RedisClusterShape = { shards: 3, replicasPerShard: 1, forgetAfterPasses: 2 };
const hexId = (n: number) => n.toString(16).padStart(2, '0').repeat(20);
const RANGES = ['0-5460', '5461-10921', '10922-16383'];

function line(p: Pod, flags: string[] = [], ip = p.ip): string {
  const mine = flags.includes('myself') ? ['myself'] : [];
  const role = p.master ? 'slave' : 'master';
  const addr = ip === '' ? ':0@0' : `${ip}:${p.port}@${p.port + 10000}`;
  const allFlags = [...mine, role, ...flags.filter((f) => f !== 'myself')].join(',');
  return [p.id, addr, allFlags, p.master ?? '-', '0', '0', '1', 'connected', ...(p.slots ? [p.slots] : [])].join(' ');
}

function observe(s: Scenario): RedisNodeObservation[] {
  return s.pods.map((p, k) => {
    const base = { ordinal: k, address: `redis-${k}.redis:${p.port}`, port: p.port, ip: p.ip };
    if (s.unreachable?.includes(k)) return { ...base, error: 'connect ECONNREFUSED' };
    const alone = s.alone?.includes(k) ?? false;
    const lines = s.pods.flatMap((q, j) => {
      if (j === k) return [line(q, ['myself'])];
      if (alone || s.alone?.includes(j)) return [];
      const custom = s.sees?.[`${k}>${j}`];
      if (custom === null) return [];
      return [custom ?? line(q)];
    });
    if (!alone) lines.push(...(s.extra ?? []));
    const nodes = parseClusterNodes(lines.join('\n'));
    const ownsSlots = nodes.some((e) => e.slots.length > 0);
    return { ...base, state: { myId: p.id, nodes, info: { cluster_state: !alone && ownsSlots ? 'ok' : 'fail' } } };
  });
}

/** 3 masters (ordinals 0-2) with their creation slots, replica 3→0, 4→1, 5→2 — as created. */
function healthyPods(shape = SHAPE): Pod[] {
  const n = shape.shards * (1 + shape.replicasPerShard);
  return Array.from({ length: n }, (_, k) => ({
    id: hexId(k + 1),
    ip: `10.0.0.${k + 1}`,
    port: 6379,
    ...(k < shape.shards
      ? { slots: rangeOf(k, shape.shards) }
      : { master: hexId(Math.floor((k - shape.shards) / shape.replicasPerShard) + 1) }),
  }));
}

function rangeOf(shard: number, shards: number): string {
  if (shards === 3) return RANGES[shard]!;
  return `${Math.floor((shard * 16384) / shards)}-${Math.floor(((shard + 1) * 16384) / shards) - 1}`;
}

const freshPods = (): Pod[] => healthyPods().map(({ id, ip, port }) => ({ id, ip, port }));

/** Ordinals an action sends commands to. */
function touched(plan: RedisClusterPlan): number[] {
  return plan.actions.flatMap((a: RedisClusterAction) =>
    a.kind === 'forget' || a.kind === 'await-known' ? a.nodes : [a.node],
  );
}

describe('planRedisCluster: creating the cluster', () => {
  it('creates an empty set: slots on the first shards, everyone meets ordinal 0, then the replicas attach', () => {
    const plan = planRedisCluster(observe({ pods: freshPods(), alone: [0, 1, 2, 3, 4, 5] }), SHAPE);
    expect(plan.mode).toBe('create');
    expect(plan.warnings).toEqual([]);
    const meet = (k: number) => ({
      kind: 'meet',
      node: 0,
      target: k,
      ip: `10.0.0.${k + 1}`,
      port: 6379,
      busPort: 16379,
      reason: 'creating the cluster',
    });
    expect(plan.actions).toEqual([
      { kind: 'add-slots', node: 0, slots: [[0, 5460]] },
      { kind: 'add-slots', node: 1, slots: [[5461, 10921]] },
      { kind: 'add-slots', node: 2, slots: [[10922, 16383]] },
      meet(1),
      meet(2),
      meet(3),
      meet(4),
      meet(5),
      { kind: 'await-known', nodes: [0, 1, 2, 3, 4, 5], ids: [1, 2, 3, 4, 5, 6].map(hexId) },
      { kind: 'replicate', node: 3, masterId: hexId(1), master: 0, reason: expect.any(String) },
      { kind: 'replicate', node: 4, masterId: hexId(2), master: 1, reason: expect.any(String) },
      { kind: 'replicate', node: 5, masterId: hexId(3), master: 2, reason: expect.any(String) },
    ]);
    expect(plan.health).toMatchObject({ nodes: 6, reachable: 6, clusterOk: false, uncoveredSlots: 16384 });
  });

  it('maps replica i of shard s to ordinal shards + s·replicas + i', () => {
    const shape = { shards: 3, replicasPerShard: 2, forgetAfterPasses: 2 };
    const pods = healthyPods(shape).map(({ id, ip, port }) => ({ id, ip, port }));
    const plan = planRedisCluster(observe({ pods, alone: pods.map((_, k) => k) }), shape);
    const replicates = plan.actions.filter((a) => a.kind === 'replicate');
    expect(replicates.map((a) => [a.node, a.master])).toEqual([
      [3, 0],
      [4, 0],
      [5, 1],
      [6, 1],
      [7, 2],
      [8, 2],
    ]);
  });

  it('waits, doing nothing, until every node is reachable', () => {
    const plan = planRedisCluster(observe({ pods: freshPods(), alone: [0, 1, 3, 4, 5], unreachable: [2] }), SHAPE);
    expect(plan.mode).toBe('wait');
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([
      expect.stringMatching(/redis-2\.redis:6379 unreachable: connect ECONNREFUSED/),
      expect.stringMatching(/waiting for all 6 nodes/),
    ]);
  });

  it('finishes a creation that was interrupted after the first slots and meeting', () => {
    const pods = freshPods();
    pods[0]!.slots = RANGES[0];
    const plan = planRedisCluster(observe({ pods, alone: [2, 3, 4, 5] }), SHAPE);
    expect(plan.mode).toBe('create');
    expect(plan.actions.filter((a) => a.kind === 'add-slots').map((a) => a.node)).toEqual([1, 2]);
    expect(plan.actions.filter((a) => a.kind === 'meet').map((a) => a.target)).toEqual([2, 3, 4, 5]);
    expect(plan.actions.filter((a) => a.kind === 'replicate')).toHaveLength(3);
  });

  it('finishes a creation interrupted after all slots were added but before the nodes met', () => {
    const pods = freshPods();
    for (let s = 0; s < 3; s++) pods[s]!.slots = RANGES[s];
    const plan = planRedisCluster(observe({ pods, alone: [0, 1, 2, 3, 4, 5] }), SHAPE);
    expect(plan.mode).toBe('create');
    expect(plan.warnings).toEqual([]);
    expect(plan.actions.map((a) => a.kind)).toEqual([
      ...Array(5).fill('meet'),
      'await-known',
      ...Array(3).fill('replicate'),
    ]);
  });

  it('attaches the replicas of a creation interrupted before any REPLICATE, by the same layout', () => {
    const pods = healthyPods();
    for (const k of [3, 4, 5]) delete pods[k]!.master;
    const plan = planRedisCluster(observe({ pods }), SHAPE);
    expect(plan.mode).toBe('maintain');
    expect(plan.actions.map((a) => (a.kind === 'replicate' ? [a.node, a.master] : a.kind))).toEqual([
      [3, 0],
      [4, 1],
      [5, 2],
    ]);
  });

  it('refuses to guess when the counts do not add up', () => {
    const plan = planRedisCluster(observe({ pods: freshPods().slice(0, 5), alone: [0, 1, 2, 3, 4] }), SHAPE);
    expect(plan.mode).toBe('wait');
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([expect.stringMatching(/5 nodes configured.*needs 6/)]);
  });
});

describe('planRedisCluster: a running cluster', () => {
  it('does nothing to a healthy cluster', () => {
    const plan = planRedisCluster(observe({ pods: healthyPods() }), SHAPE);
    expect(plan).toEqual({
      mode: 'maintain',
      actions: [],
      warnings: [],
      staleSeen: new Map(),
      health: { nodes: 6, reachable: 6, clusterOk: true, uncoveredSlots: 0, masters: 3, replicas: 3 },
    });
  });

  it('leaves a complete cluster without replicas (replicasPerShard 0) alone', () => {
    const shape = { shards: 3, replicasPerShard: 0, forgetAfterPasses: 2 };
    const plan = planRedisCluster(observe({ pods: healthyPods(shape) }), shape);
    expect(plan.mode).toBe('maintain');
    expect(plan.actions).toEqual([]);
    expect(plan.health.clusterOk).toBe(true);
  });

  it('meets every node at its new address after the whole StatefulSet restarted with new IPs', () => {
    const old = healthyPods();
    const pods = old.map((p, k) => ({ ...p, ip: `10.0.1.${k + 1}` }));
    // Each node still knows the others by their old addresses, and has marked them failed.
    const sees = Object.fromEntries(
      pods.flatMap((_, v) => pods.map((_, k) => [`${v}>${k}`, line(old[k]!, ['fail'])] as const)),
    );
    const plan = planRedisCluster(observe({ pods, sees }), SHAPE);
    expect(plan.actions.every((a) => a.kind === 'meet')).toBe(true);
    const meets = plan.actions.flatMap((a) => (a.kind === 'meet' ? [a] : []));
    for (const m of meets) expect(m.ip).toBe(`10.0.1.${m.target + 1}`);
    expect(new Set(meets.map((m) => m.target))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(plan.staleSeen.size).toBe(0);
  });

  it('meets a node that came back under a new IP, from a healthy node, once', () => {
    const pods = healthyPods();
    const old = { ...pods[4]! };
    pods[4]!.ip = '10.0.0.14';
    const sees = Object.fromEntries([0, 1, 2, 3, 5].map((v) => [`${v}>4`, line(old, ['fail'])]));
    const plan = planRedisCluster(observe({ pods, sees }), SHAPE);
    expect(plan.actions).toEqual([
      {
        kind: 'meet',
        node: 0,
        target: 4,
        ip: '10.0.0.14',
        port: 6379,
        busPort: 16379,
        reason: 'known at 10.0.0.5:6379, now at 10.0.0.14:6379',
      },
    ]);
  });

  it('has a node that still sees an old address meet the new one itself', () => {
    const pods = healthyPods();
    const old = { ...pods[4]! };
    pods[4]!.ip = '10.0.0.14';
    const plan = planRedisCluster(observe({ pods, sees: { '2>4': line(old) } }), SHAPE);
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'meet', node: 2, target: 4, ip: '10.0.0.14' })]);
  });

  it('brings back a replica that lost nodes.conf: meet it, wait for it to learn its master, replicate', () => {
    const pods = healthyPods();
    const lost = { ...pods[5]! };
    pods[5] = { id: hexId(0x66), ip: lost.ip, port: lost.port }; // new id, an empty master
    const scenario = { pods, alone: [5], extra: [line(lost, ['fail', 'noaddr'], '')] };
    const plan = planRedisCluster(observe(scenario), SHAPE);
    expect(plan.actions).toEqual([
      expect.objectContaining({
        kind: 'meet',
        node: 0,
        target: 5,
        reason: expect.stringMatching(/not in the cluster/),
      }),
      { kind: 'await-known', nodes: [5], ids: [hexId(3)] },
      { kind: 'replicate', node: 5, masterId: hexId(3), master: 2, reason: expect.any(String) },
    ]);
    expect(plan.staleSeen).toEqual(new Map([[lost.id, 1]]));
  });

  it('does not count the old id as a replica even before Redis has flagged it', () => {
    const pods = healthyPods();
    const lost = { ...pods[5]! };
    pods[5] = { id: hexId(0x66), ip: lost.ip, port: lost.port };
    const plan = planRedisCluster(observe({ pods, alone: [5], extra: [line(lost)] }), SHAPE);
    expect(plan.actions.filter((a) => a.kind === 'replicate')).toEqual([
      expect.objectContaining({ node: 5, masterId: hexId(3) }),
    ]);
    // Not failed in anybody's view yet: not a forget candidate.
    expect(plan.staleSeen.size).toBe(0);
  });

  it('attaches an empty master that is already in the cluster to the shard missing its replica', () => {
    const pods = healthyPods();
    delete pods[4]!.master; // CLUSTER RESET, or its volume was replaced and it was met again
    const plan = planRedisCluster(observe({ pods }), SHAPE);
    expect(plan.actions).toEqual([
      { kind: 'replicate', node: 4, masterId: hexId(2), master: 1, reason: expect.stringMatching(/lacks a replica/) },
    ]);
  });

  it('follows the cluster, not the ordinals, after failovers: a shard is its slots', () => {
    const pods = healthyPods();
    // Shard 0 failed over to ordinal 3 and ordinal 0 came back as its replica. Ordinal 5 moved to shard 1
    // (Redis's replica migration), so when ordinal 4 comes back empty its own shard is full and shard 2 lacks.
    pods[3] = { ...pods[3]!, master: undefined, slots: RANGES[0] };
    pods[0] = { ...pods[0]!, master: hexId(4), slots: undefined };
    pods[5] = { ...pods[5]!, master: hexId(2) };
    delete pods[4]!.master;
    const plan = planRedisCluster(observe({ pods }), SHAPE);
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: 'replicate', node: 4, masterId: hexId(3), master: 2 }),
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('gives each empty master to the shard that lacks the most replicas, then to its own shard', () => {
    const shape = { shards: 3, replicasPerShard: 2, forgetAfterPasses: 2 };
    const pods = healthyPods(shape);
    // Shard 0 (ordinals 3, 4) lost both replicas; shard 1 lost ordinal 5. All three are empty masters now.
    for (const k of [3, 4, 5]) delete pods[k]!.master;
    const plan = planRedisCluster(observe({ pods }), shape);
    expect(plan.actions.map((a) => (a.kind === 'replicate' ? [a.node, a.master] : a.kind))).toEqual([
      [3, 0],
      [4, 0],
      [5, 1],
    ]);
    // Ordinal 6's home is shard 1, but shard 0 lacks two: the first empty master goes there.
    const pods2 = healthyPods(shape);
    for (const k of [3, 4, 6]) delete pods2[k]!.master;
    const plan2 = planRedisCluster(observe({ pods: pods2 }), shape);
    expect(plan2.actions.map((a) => (a.kind === 'replicate' ? [a.node, a.master] : a.kind))).toEqual([
      [3, 0],
      [4, 0],
      [6, 1],
    ]);
  });

  it('leaves an empty master alone when no shard lacks a replica', () => {
    const pods = healthyPods();
    delete pods[5]!.master;
    const foreignReplica = line({ id: hexId(0x99), ip: '10.0.0.99', port: 6379, master: hexId(3) });
    const plan = planRedisCluster(observe({ pods, extra: [foreignReplica] }), SHAPE);
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([expect.stringMatching(/redis-5.*master without slots.*no reachable shard lacks/)]);
  });

  it('forgets a failed id that is no current pod, on every node, after more than forgetAfterPasses passes', () => {
    const stale = line({ id: hexId(0x99), ip: '10.0.0.99', port: 6379, master: hexId(1) }, ['fail']);
    const observed = observe({ pods: healthyPods(), extra: [stale] });
    const p1 = planRedisCluster(observed, SHAPE);
    expect(p1.actions).toEqual([]);
    const p2 = planRedisCluster(observed, SHAPE, p1.staleSeen);
    expect(p2.actions).toEqual([]);
    expect(p2.staleSeen.get(hexId(0x99))).toBe(2);
    const p3 = planRedisCluster(observed, SHAPE, p2.staleSeen);
    expect(p3.actions).toEqual([
      { kind: 'forget', nodeId: hexId(0x99), nodes: [0, 1, 2, 3, 4, 5], reason: expect.stringMatching(/3 passes/) },
    ]);
    // Gone (forgotten, or it came back healthy): the count starts over.
    expect(planRedisCluster(observe({ pods: healthyPods() }), SHAPE, p3.staleSeen).staleSeen.size).toBe(0);
    // forgetAfterPasses 0: at once.
    expect(planRedisCluster(observed, { ...SHAPE, forgetAfterPasses: 0 }).actions).toHaveLength(1);
  });

  it('does not forget an id while some node still sees it healthy, or while it serves slots', () => {
    const ghost = { id: hexId(0x99), ip: '10.0.0.99', port: 6379, master: hexId(1) };
    const observed = observe({ pods: healthyPods(), extra: [line(ghost, ['fail'])] }).map((o) => {
      if (o.ordinal !== 3) return o;
      // Ordinal 3 sees the ghost without any failure flag.
      const nodes = o.state!.nodes.map((e) => (e.id === ghost.id ? { ...e, failed: false, flags: ['slave'] } : e));
      return { ...o, state: { ...o.state!, nodes } };
    });
    const zero = { ...SHAPE, forgetAfterPasses: 0 };
    expect(planRedisCluster(observed, zero).actions).toEqual([]);
    const failedMaster = line({ id: hexId(0x98), ip: '10.0.0.98', port: 6379, slots: '0-10' }, ['fail']);
    expect(planRedisCluster(observe({ pods: healthyPods(), extra: [failedMaster] }), zero).actions).toEqual([]);
  });

  it('never forgets a failed id while a pod is unreachable, unless a live pod now holds its address', () => {
    const zero = { ...SHAPE, forgetAfterPasses: 0 };
    const elsewhere = line({ id: hexId(0x99), ip: '10.0.0.99', port: 6379, master: hexId(1) }, ['fail']);
    const plan = planRedisCluster(observe({ pods: healthyPods(), unreachable: [4], extra: [elsewhere] }), zero);
    expect(plan.actions).toEqual([]);
    // 10.0.0.6:6379 is pod 5's address, under another id: that id is certainly gone.
    const superseded = line({ id: hexId(0x99), ip: '10.0.0.6', port: 6379, master: hexId(3) }, ['fail']);
    const plan2 = planRedisCluster(observe({ pods: healthyPods(), unreachable: [4], extra: [superseded] }), zero);
    expect(plan2.actions).toEqual([
      expect.objectContaining({ kind: 'forget', nodeId: hexId(0x99), nodes: [0, 1, 2, 3, 5] }),
    ]);
    expect(touched(plan2)).not.toContain(4);
  });

  it('reports slots nobody reachable serves, loudly, and does nothing destructive', () => {
    const pods = healthyPods();
    // Shard 2's master and its replica are both down; the others have marked them failed.
    const sees = Object.fromEntries(
      [0, 1, 3, 4].flatMap((v) => [
        [`${v}>2`, line(pods[2]!, ['fail'])],
        [`${v}>5`, line(pods[5]!, ['fail'])],
      ]),
    );
    const observed = observe({ pods, sees, unreachable: [2, 5] });
    let staleSeen = new Map<string, number>();
    for (let pass = 0; pass < 5; pass++) {
      const plan = planRedisCluster(observed, SHAPE, staleSeen);
      staleSeen = plan.staleSeen;
      expect(plan.mode).toBe('maintain');
      expect(plan.actions).toEqual([]);
      expect(plan.warnings).toContainEqual(
        expect.stringMatching(/5462 of 16384 slots \(10922-16383\) are served by no reachable master.*failed/),
      );
      expect(plan.health).toMatchObject({ clusterOk: false, uncoveredSlots: 5462, reachable: 4 });
    }
  });

  it('never assigns unassigned slots in a running cluster', () => {
    const pods = healthyPods();
    delete pods[2]!.slots; // someone ran CLUSTER DELSLOTS; ordinal 5 still follows it
    const plan = planRedisCluster(observe({ pods }), SHAPE);
    expect(plan.actions.filter((a) => a.kind === 'add-slots')).toEqual([]);
    expect(plan.warnings).toContainEqual(expect.stringMatching(/10922-16383.*no owner/));
  });

  it('does not introduce a node that believes in slots of another cluster', () => {
    const pods = healthyPods();
    const stranger = { id: hexId(0x66), ip: pods[5]!.ip, port: 6379, slots: '0-100' };
    pods[5] = stranger;
    const plan = planRedisCluster(observe({ pods, alone: [5] }), SHAPE);
    expect(plan.actions.filter((a) => a.kind === 'meet')).toEqual([]);
    expect(plan.warnings).toContainEqual(expect.stringMatching(/redis-5.*not in the cluster.*0-100/));
  });

  it('never sends anything to an unreachable node', () => {
    const pods = healthyPods();
    pods[4]!.ip = '10.0.0.14';
    delete pods[5]!.master;
    const plan = planRedisCluster(observe({ pods, unreachable: [0, 4] }), SHAPE);
    expect(plan.actions.length).toBeGreaterThan(0);
    expect(touched(plan)).not.toContain(0);
    expect(touched(plan)).not.toContain(4);
    expect(plan.actions.filter((a) => a.kind === 'meet').map((a) => a.target)).not.toContain(4);
  });
});
