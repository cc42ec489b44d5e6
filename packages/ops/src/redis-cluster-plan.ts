import {
  CLUSTER_SLOTS,
  formatSlots,
  missingSlots,
  normalizeSlots,
  shardSlotRange,
  slotCount,
  type ClusterNodeEntry,
  type SlotRange,
} from './redis-cluster-nodes.js';

/**
 * The Redis Cluster keeper's decisions: from what every pod of the StatefulSet reports, the Redis commands that
 * create the cluster or heal it. Pure and deterministic; the keeper role only observes and executes.
 *
 * Ground rules, in order of importance:
 * - Slots of a running cluster are never moved or reassigned. Slots are only ever added when the cluster is
 *   being created (or its creation was interrupted): by then no node has ever served them.
 * - A node that cannot be reached is never sent anything, and is never forgotten while it might come back.
 * - Every action is idempotent and re-derived from a fresh observation each pass, so a pass interrupted at any
 *   point is finished by the next one.
 *
 * Layout at creation (N = shards × (1 + replicasPerShard) pods, ordinals 0…N-1):
 * - ordinals 0…shards-1 are the masters; master s gets slots `shardSlotRange(s, shards)`;
 * - ordinal shards + s·replicasPerShard + i is replica i of shard s (with 3 shards and 1 replica: 3→0, 4→1, 5→2).
 * After failovers the roles move (a replica may now be the master of its shard); the keeper then follows the
 * cluster, not the ordinals: a shard is its slots, whoever serves them.
 */

/** What the keeper saw of one pod. */
export interface RedisNodeObservation {
  /** StatefulSet ordinal: the position in LIKEPIPE_REDIS_NODES. */
  ordinal: number;
  /** The configured `host:port`, for messages. */
  address: string;
  port: number;
  /** The host's current IP; undefined when it does not resolve. */
  ip?: string;
  /** Undefined when the node could not be reached or its answers not understood (see `error`). */
  state?: RedisNodeState;
  error?: string;
}

export interface RedisNodeState {
  myId: string;
  /** Its `CLUSTER NODES`, including itself (`myself`). */
  nodes: readonly ClusterNodeEntry[];
  /** Its `CLUSTER INFO`. */
  info: Readonly<Record<string, string>>;
}

export interface RedisClusterShape {
  shards: number;
  replicasPerShard: number;
  /** A stale node id is forgotten once it has been seen stale on more than this many consecutive passes. */
  forgetAfterPasses: number;
}

/** Node references are ordinals: the executor reaches node k at the IP it resolved for pod k. */
export type RedisClusterAction =
  | { kind: 'add-slots'; node: number; slots: SlotRange[] }
  | { kind: 'meet'; node: number; target: number; ip: string; port: number; busPort: number; reason: string }
  /** Wait until each of `nodes` knows each of `ids` (past the handshake); later actions depend on it. */
  | { kind: 'await-known'; nodes: number[]; ids: string[] }
  | { kind: 'replicate'; node: number; masterId: string; master: number; reason: string }
  | { kind: 'forget'; nodeId: string; nodes: number[]; reason: string };

export interface RedisClusterHealth {
  nodes: number;
  reachable: number;
  /** Every reachable node says `cluster_state:ok` and every slot is served by a reachable master. */
  clusterOk: boolean;
  uncoveredSlots: number;
  /** Reachable masters that serve slots. */
  masters: number;
  /** Reachable replicas. */
  replicas: number;
}

export interface RedisClusterPlan {
  /** `create`: forming the cluster; `maintain`: healing a running one; `wait`: nothing can be done safely yet. */
  mode: 'create' | 'maintain' | 'wait';
  actions: RedisClusterAction[];
  /** Problems the keeper will not or cannot fix, to be logged loudly. */
  warnings: string[];
  /** Consecutive passes each stale node id has been seen: pass it to the next call. */
  staleSeen: Map<string, number>;
  health: RedisClusterHealth;
}

interface Live {
  ordinal: number;
  address: string;
  ip: string;
  port: number;
  myId: string;
  /** Entries other than handshakes, which are transient and carry throwaway ids. */
  view: ClusterNodeEntry[];
  self: ClusterNodeEntry;
  info: Readonly<Record<string, string>>;
}

export function planRedisCluster(
  observed: readonly RedisNodeObservation[],
  shape: RedisClusterShape,
  staleSeen: ReadonlyMap<string, number> = new Map(),
): RedisClusterPlan {
  const expected = shape.shards * (1 + shape.replicasPerShard);
  const live = liveNodes(observed);
  const health = assessHealth(observed.length, live);
  const warnings = observed
    .filter((o) => !o.state)
    .map((o) => `node ${o.address} unreachable: ${o.error ?? 'no answer'}; leaving it alone`);
  const wait = (why: string): RedisClusterPlan => ({
    mode: 'wait',
    actions: [],
    warnings: [...warnings, why],
    staleSeen: new Map(staleSeen),
    health,
  });

  if (observed.length !== expected)
    return wait(
      `${observed.length} nodes configured, but ${shape.shards} shards × (1 + ${shape.replicasPerShard} replicas) ` +
        `needs ${expected}; doing nothing`,
    );
  if (live.length === 0) return wait('no Redis node is reachable');

  if (isCreation(live, shape)) {
    if (live.length < expected) {
      return wait(`waiting for all ${expected} nodes to be reachable before creating the cluster`);
    }
    return { mode: 'create', ...planCreation(live, shape), warnings, staleSeen: new Map(), health };
  }
  const maintained = planMaintenance(live, shape, staleSeen, expected);
  return { mode: 'maintain', ...maintained, warnings: [...warnings, ...maintained.warnings], health };
}

function liveNodes(observed: readonly RedisNodeObservation[]): Live[] {
  const out: Live[] = [];
  for (const o of observed) {
    if (!o.state || o.ip === undefined) continue;
    const view = o.state.nodes.filter((e) => !e.handshake);
    const self = view.find((e) => e.myself) ?? view.find((e) => e.id === o.state!.myId);
    if (!self) continue;
    out.push({
      ordinal: o.ordinal,
      address: o.address,
      ip: o.ip,
      port: o.port,
      myId: o.state.myId,
      view,
      self,
      info: o.state.info,
    });
  }
  return out;
}

function assessHealth(nodes: number, live: readonly Live[]): RedisClusterHealth {
  const served = live.filter((n) => n.self.master).flatMap((n) => n.self.slots);
  const uncoveredSlots = slotCount(missingSlots(served));
  return {
    nodes,
    reachable: live.length,
    clusterOk: live.length > 0 && uncoveredSlots === 0 && live.every((n) => n.info.cluster_state === 'ok'),
    uncoveredSlots,
    masters: live.filter((n) => n.self.master && n.self.slots.length > 0).length,
    replicas: live.filter((n) => n.self.replica).length,
  };
}

/**
 * Creating (or finishing the creation of) the cluster: no node is a replica anywhere, every slot anybody owns
 * is exactly the creation range of the master ordinal that owns it, and the creation is not complete yet (a
 * master lacks its range, or the nodes do not all know each other). Anything else is a running cluster, which
 * includes a complete cluster without replicas (replicasPerShard 0).
 */
function isCreation(live: readonly Live[], shape: RedisClusterShape): boolean {
  const byId = new Map(live.map((n) => [n.myId, n]));
  for (const n of live) {
    for (const e of n.view) {
      if (e.replica) return false;
      if (e.slots.length === 0) continue;
      const owner = byId.get(e.id);
      if (!owner || owner.ordinal >= shape.shards) return false;
      if (!sameSlots(e.slots, [shardSlotRange(owner.ordinal, shape.shards)])) return false;
    }
  }
  const masters = Array.from({ length: shape.shards }, (_, s) => live.find((n) => n.ordinal === s));
  const rangesMissing = masters.some((m) => !m || m.self.slots.length === 0);
  const strangers = live.some((n) => live.some((m) => !n.view.some((e) => e.id === m.myId)));
  return rangesMissing || strangers;
}

function planCreation(live: readonly Live[], shape: RedisClusterShape): { actions: RedisClusterAction[] } {
  const byOrdinal = [...live].sort((a, b) => a.ordinal - b.ordinal);
  const actions: RedisClusterAction[] = [];
  for (let s = 0; s < shape.shards; s++) {
    const master = byOrdinal[s]!;
    if (master.self.slots.length === 0)
      actions.push({ kind: 'add-slots', node: s, slots: [shardSlotRange(s, shape.shards)] });
  }
  // Everyone meets ordinal 0; gossip then introduces them to each other.
  const first = byOrdinal[0]!;
  for (const n of byOrdinal.slice(1)) {
    if (!seesCorrectly(first, n)) actions.push(meet(first, n, 'creating the cluster'));
  }
  const replicates: RedisClusterAction[] = [];
  for (const n of byOrdinal.slice(shape.shards)) {
    const master = byOrdinal[homeShard(n.ordinal, shape)]!;
    if (n.self.masterId !== master.myId) {
      replicates.push({
        kind: 'replicate',
        node: n.ordinal,
        masterId: master.myId,
        master: master.ordinal,
        reason: `creating the cluster: replica of shard ${master.ordinal}`,
      });
    }
  }
  if (replicates.length > 0) {
    // CLUSTER REPLICATE needs the master known to the replica: let the meetings propagate first.
    actions.push({ kind: 'await-known', nodes: byOrdinal.map((n) => n.ordinal), ids: byOrdinal.map((n) => n.myId) });
    actions.push(...replicates);
  }
  return { actions };
}

function planMaintenance(
  live: readonly Live[],
  shape: RedisClusterShape,
  staleSeen: ReadonlyMap<string, number>,
  expected: number,
): { actions: RedisClusterAction[]; warnings: string[]; staleSeen: Map<string, number> } {
  const actions: RedisClusterAction[] = [];
  const warnings: string[] = [];
  const anchor = pickAnchor(live);
  const ref = new Map(anchor.view.map((e) => [e.id, e]));
  const isMember = (n: Live) => ref.has(n.myId);

  // 1. Introductions. A node the cluster does not know (new pod, or one that lost nodes.conf and so its id)
  // is met from the anchor; so is one the anchor knows under an old IP or as failed. Other members that
  // still see a node wrongly meet it themselves; gossip alone would fix them only after node-timeouts.
  const joining = new Set<number>();
  const anchorMeets = new Set<number>();
  for (const n of live) {
    if (n === anchor) continue;
    if (!isMember(n)) {
      if (n.view.some((e) => e.slots.length > 0)) {
        warnings.push(
          `node ${n.address} (${n.myId}) is not in the cluster but believes in slots of its own ` +
            `(${describeOwnership(n.view)}); not introducing it: merging two clusters could lose data`,
        );
        continue;
      }
      joining.add(n.ordinal);
      anchorMeets.add(n.ordinal);
      actions.push(meet(anchor, n, 'not in the cluster (new node, or it lost nodes.conf)'));
    } else if (!seesCorrectly(anchor, n)) {
      anchorMeets.add(n.ordinal);
      actions.push(meet(anchor, n, staleReason(ref.get(n.myId)!, n)));
    }
  }
  for (const v of live) {
    if (v === anchor || !isMember(v)) continue;
    for (const n of live) {
      if (n === v || !isMember(n) || anchorMeets.has(n.ordinal)) continue;
      if (!seesCorrectly(v, n)) {
        const e = v.view.find((x) => x.id === n.myId);
        actions.push(meet(v, n, e ? staleReason(e, n) : `${v.address} does not know it`));
      }
    }
  }

  // 2. Replicas. Each empty master (no slots: new, or reset) joins the shard that lacks replicas the most.
  const superseded = (e: ClusterNodeEntry) =>
    e.ip !== '' && live.some((n) => n.myId !== e.id && n.ip === e.ip && n.port === e.port);
  const shardMasters = live
    .filter((n) => isMember(n) && n.self.master && n.self.slots.length > 0)
    .filter((n) => {
      const e = ref.get(n.myId)!;
      return e.master && !e.failed;
    });
  const need = new Map(
    shardMasters.map((m) => {
      const healthy = anchor.view.filter(
        (e) => e.replica && e.masterId === m.myId && !e.failed && !e.noaddr && !superseded(e),
      ).length;
      return [m.ordinal, shape.replicasPerShard - healthy];
    }),
  );
  const empties = live.filter(
    (n) => (isMember(n) || joining.has(n.ordinal)) && n.self.master && n.self.slots.length === 0,
  );
  for (const e of empties) {
    const home = shardSlotRange(homeShard(e.ordinal, shape), shape.shards)[0];
    const isHome = (m: Live) => (m.self.slots.some(([a, b]) => a <= home && home <= b) ? 1 : 0);
    const candidates = shardMasters
      .filter((m) => need.get(m.ordinal)! > 0)
      .sort((a, b) => need.get(b.ordinal)! - need.get(a.ordinal)! || isHome(b) - isHome(a) || a.ordinal - b.ordinal);
    const m = candidates[0];
    if (!m) {
      warnings.push(
        `node ${e.address} (${e.myId}) is a master without slots, but no reachable shard lacks a replica; leaving it`,
      );
      continue;
    }
    need.set(m.ordinal, need.get(m.ordinal)! - 1);
    if (joining.has(e.ordinal) || !e.view.some((x) => x.id === m.myId && x.master)) {
      actions.push({ kind: 'await-known', nodes: [e.ordinal], ids: [m.myId] });
    }
    actions.push({
      kind: 'replicate',
      node: e.ordinal,
      masterId: m.myId,
      master: m.ordinal,
      reason: `master without slots, and the shard of ${m.address} (${formatSlots(m.self.slots)}) lacks a replica`,
    });
  }

  // 3. Slots nobody reachable serves: say so, loudly, and change nothing about them.
  const uncovered = missingSlots(live.filter((n) => n.self.master).flatMap((n) => n.self.slots));
  if (uncovered.length > 0) {
    warnings.push(
      `${slotCount(uncovered)} of ${CLUSTER_SLOTS} slots (${formatSlots(uncovered)}) are served by no reachable ` +
        `master (the cluster believes: ${describeOwnership(anchor.view, uncovered)}); ` +
        'the keeper never reassigns slots of a running cluster — bring their master or a replica back',
    );
  }

  // 4. Stale ids: no pod's current id, and failed or address-less in every view that still lists them. While a
  // pod is unreachable a failed id may be its own and come back, so then only ids whose old address a live pod
  // now holds qualify. Each is forgotten on every node that knows it at once: a node that kept it would gossip
  // it back to the others.
  const allReachable = live.length === expected;
  const liveIds = new Set(live.map((n) => n.myId));
  const followed = new Set(live.map((n) => n.self.masterId).filter((x): x is string => x !== null));
  const sightings = new Map<string, { viewer: number; entry: ClusterNodeEntry }[]>();
  for (const v of live) {
    if (!isMember(v)) continue;
    for (const entry of v.view) {
      if (entry.myself || liveIds.has(entry.id) || followed.has(entry.id)) continue;
      sightings.set(entry.id, [...(sightings.get(entry.id) ?? []), { viewer: v.ordinal, entry }]);
    }
  }
  const knownBy = new Map<string, number[]>();
  for (const [id, seen] of sightings) {
    if (!seen.every(({ entry: e }) => (e.failed || e.noaddr) && e.slots.length === 0)) continue;
    if (!allReachable && !seen.some(({ entry }) => superseded(entry))) continue;
    knownBy.set(
      id,
      seen.map((x) => x.viewer),
    );
  }
  const nextSeen = new Map<string, number>();
  for (const [id, nodes] of [...knownBy].sort(([a], [b]) => a.localeCompare(b))) {
    const seen = (staleSeen.get(id) ?? 0) + 1;
    nextSeen.set(id, seen);
    if (seen > shape.forgetAfterPasses) {
      actions.push({
        kind: 'forget',
        nodeId: id,
        nodes,
        reason: `failed or without address, and no pod's current id, for ${seen} passes`,
      });
    }
  }
  return { actions, warnings, staleSeen: nextSeen };
}

/**
 * The node whose view the others are compared with and that introduces newcomers: the healthiest
 * (cluster_state ok, most slots served by non-failed masters in its view, seen correctly by most of the other
 * nodes), lowest ordinal on ties, so the choice is stable between passes. The last criterion keeps a node that
 * just came back under a new IP from being chosen: its own view is fine, but nobody else can reach it yet.
 */
function pickAnchor(live: readonly Live[]): Live {
  const score = (n: Live): number[] => [
    n.info.cluster_state === 'ok' ? 1 : 0,
    slotCount(n.view.filter((e) => e.master && !e.failed).flatMap((e) => e.slots)),
    live.filter((v) => v !== n && seesCorrectly(v, n)).length,
  ];
  let best = live[0]!;
  let bestScore = score(best);
  for (const n of live.slice(1)) {
    const s = score(n);
    const i = s.findIndex((x, k) => x !== bestScore[k]);
    if (i >= 0 && s[i]! > bestScore[i]!) {
      best = n;
      bestScore = s;
    }
  }
  return best;
}

/** Does `viewer` know `n` by its current id, at its current address, and not as failed? */
function seesCorrectly(viewer: Live, n: Live): boolean {
  const e = viewer.view.find((x) => x.id === n.myId);
  return !!e && e.ip === n.ip && e.port === n.port && !e.failed && !e.noaddr;
}

function staleReason(e: ClusterNodeEntry, n: Live): string {
  if (e.noaddr || e.ip === '') return 'known without an address';
  if (e.ip !== n.ip || e.port !== n.port) return `known at ${e.ip}:${e.port}, now at ${n.ip}:${n.port}`;
  return 'known as failed';
}

function meet(from: Live, to: Live, reason: string): RedisClusterAction {
  return {
    kind: 'meet',
    node: from.ordinal,
    target: to.ordinal,
    ip: to.ip,
    port: to.port,
    busPort: to.self.busPort,
    reason,
  };
}

/** The shard ordinal `k` belongs to at creation: itself for a master, see the layout above for a replica. */
function homeShard(k: number, shape: RedisClusterShape): number {
  if (k < shape.shards || shape.replicasPerShard === 0) return k % shape.shards;
  return Math.floor((k - shape.shards) / shape.replicasPerShard) % shape.shards;
}

function sameSlots(a: readonly SlotRange[], b: readonly SlotRange[]): boolean {
  const x = normalizeSlots(a);
  const y = normalizeSlots(b);
  return x.length === y.length && x.every(([s, e], i) => s === y[i]![0] && e === y[i]![1]);
}

/** `0-5460 → <id> (failed)`, limited to `within` when given, for the uncovered-slots warning. */
function describeOwnership(view: readonly ClusterNodeEntry[], within?: readonly SlotRange[]): string {
  const parts: string[] = [];
  for (const e of view) {
    const slots = within ? intersect(e.slots, within) : e.slots;
    if (slots.length === 0) continue;
    const state = e.failed ? 'failed' : e.noaddr ? 'no address' : e.suspected ? 'suspected' : 'up';
    parts.push(`${formatSlots(slots)} → ${e.id.slice(0, 8)} (${state})`);
  }
  return parts.length > 0 ? parts.join('; ') : 'no owner';
}

function intersect(a: readonly SlotRange[], b: readonly SlotRange[]): SlotRange[] {
  const out: SlotRange[] = [];
  for (const [s1, e1] of normalizeSlots(a)) {
    for (const [s2, e2] of normalizeSlots(b)) {
      const s = Math.max(s1, s2);
      const e = Math.min(e1, e2);
      if (s <= e) out.push([s, e]);
    }
  }
  return out;
}
