import { ClusterNodesParseError } from './errors/cluster-nodes-parse-error.js';

export { ClusterNodesParseError };
/**
 * The text Redis Cluster reports about itself (`CLUSTER NODES`, `CLUSTER INFO`), parsed into plain data so the
 * cluster keeper can plan from it without I/O. Format: https://redis.io/docs/latest/commands/cluster-nodes/
 */

export const CLUSTER_SLOTS = 16384;

/** Inclusive slot range `[first, last]`. */
export type SlotRange = readonly [number, number];

export interface ClusterNodeEntry {
  id: string;
  /** Empty when the node has no known address (`noaddr`, or `myself` before a peer told it its IP). */
  ip: string;
  port: number;
  busPort: number;
  hostname?: string;
  flags: readonly string[];
  myself: boolean;
  master: boolean;
  replica: boolean;
  /** Confirmed failure (`fail`), as opposed to one node's suspicion (`fail?`). */
  failed: boolean;
  suspected: boolean;
  handshake: boolean;
  noaddr: boolean;
  masterId: string | null;
  configEpoch: number;
  connected: boolean;
  slots: SlotRange[];
}

const NODE_ID = /^[0-9a-f]{40}$/;

/** Parses the whole `CLUSTER NODES` reply; every non-empty line is one node. */
export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map(parseClusterNodesLine);
}

export function parseClusterNodesLine(line: string): ClusterNodeEntry {
  const f = line.split(' ');
  if (f.length < 8)
    throw new ClusterNodesParseError(`CLUSTER NODES line has ${f.length} fields, expected ≥ 8: ${line}`);
  const [id, addr, flagText, master, , , epoch, link] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!NODE_ID.test(id)) throw new ClusterNodesParseError(`bad node id in CLUSTER NODES line: ${line}`);
  const flags = flagText === 'noflags' ? [] : flagText.split(',');
  const has = (flag: string) => flags.includes(flag);
  return {
    id,
    ...parseAddress(addr, line),
    flags,
    myself: has('myself'),
    master: has('master'),
    replica: has('slave') || has('replica'),
    failed: has('fail'),
    suspected: has('fail?'),
    handshake: has('handshake'),
    noaddr: has('noaddr'),
    masterId: master === '-' ? null : master,
    configEpoch: Number(epoch),
    connected: link === 'connected',
    slots: parseSlots(f.slice(8), line),
  };
}

/** `ip:port@cport[,hostname]`; IPv6 addresses contain colons, so the port is after the last one. */
function parseAddress(addr: string, line: string): Pick<ClusterNodeEntry, 'ip' | 'port' | 'busPort' | 'hostname'> {
  const [endpoint = '', hostname] = addr.split(',');
  const at = endpoint.lastIndexOf('@');
  const hostPort = at >= 0 ? endpoint.slice(0, at) : endpoint;
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0) throw new ClusterNodesParseError(`bad address "${addr}" in CLUSTER NODES line: ${line}`);
  const port = Number(hostPort.slice(colon + 1));
  const busPort = at >= 0 ? Number(endpoint.slice(at + 1)) : port + 10000;
  if (!Number.isInteger(port) || !Number.isInteger(busPort))
    throw new ClusterNodesParseError(`bad port in address "${addr}" of CLUSTER NODES line: ${line}`);
  return { ip: hostPort.slice(0, colon), port, busPort, ...(hostname ? { hostname } : {}) };
}

function parseSlots(fields: string[], line: string): SlotRange[] {
  const ranges: SlotRange[] = [];
  for (const s of fields) {
    // `[slot->-id]` / `[slot-<-id]`: a migration in progress. Ownership is what counts here, not migrations.
    if (s.startsWith('[')) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (!m) throw new ClusterNodesParseError(`bad slot "${s}" in CLUSTER NODES line: ${line}`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first > last || last >= CLUSTER_SLOTS)
      throw new ClusterNodesParseError(`slot range "${s}" out of bounds in CLUSTER NODES line: ${line}`);
    ranges.push([first, last]);
  }
  return ranges;
}

/** `CLUSTER INFO`: `key:value` lines. */
export function parseClusterInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

export const slotCount = (ranges: readonly SlotRange[]): number => ranges.reduce((n, [a, b]) => n + b - a + 1, 0);

/** Sorts and merges ranges, so two descriptions of the same slot set compare equal. */
export function normalizeSlots(ranges: readonly SlotRange[]): SlotRange[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The slots in [0, 16384) that no range covers, as ranges. */
export function missingSlots(covered: readonly SlotRange[]): SlotRange[] {
  const out: SlotRange[] = [];
  let next = 0;
  for (const [a, b] of normalizeSlots(covered)) {
    if (a > next) out.push([next, a - 1]);
    next = Math.max(next, b + 1);
  }
  if (next < CLUSTER_SLOTS) out.push([next, CLUSTER_SLOTS - 1]);
  return out;
}

/** `0-5460,5462` — for log lines. */
export const formatSlots = (ranges: readonly SlotRange[]): string =>
  normalizeSlots(ranges)
    .map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`))
    .join(',');

/**
 * The slots shard `s` of `shards` gets when a cluster is created: contiguous, sizes differing by at most one.
 * `floor(s·16384/shards)` spreads the remainder over the shards instead of piling it on the last one.
 */
export function shardSlotRange(shard: number, shards: number): SlotRange {
  return [Math.floor((shard * CLUSTER_SLOTS) / shards), Math.floor(((shard + 1) * CLUSTER_SLOTS) / shards) - 1];
}
