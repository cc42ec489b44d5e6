import { lookup } from 'node:dns/promises';
import { parseClusterInfo, parseClusterNodes, type RedisNodeObservation } from '@likepipe/ops';
import { Redis } from 'ioredis';

export interface ClusterNodeOptions {
  password?: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** One pod as the keeper reached it in a pass: what it reported and, when it answered, the open connection. */
export interface ReachedNode {
  observation: RedisNodeObservation;
  client?: Redis;
}

/**
 * Resolves the pod's host name now (a restarted pod has a new IP, and CLUSTER MEET needs the IP) and asks it
 * about the cluster. Any failure — DNS, connection, a node without cluster support, unparseable output — makes
 * the node unreachable for this pass, and the planner never sends an unreachable node anything.
 */
export async function reachNode(ordinal: number, address: string, opts: ClusterNodeOptions): Promise<ReachedNode> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  const base = { ordinal, address, port };
  let ip: string;
  try {
    ip = (await lookup(host)).address;
  } catch (err) {
    return { observation: { ...base, error: `cannot resolve ${host}: ${(err as Error).message}` } };
  }
  // Standalone client, no reconnects, no retries: a pass wants one fresh answer per node, or none.
  const client = new Redis({
    host: ip,
    port,
    ...(opts.password ? { password: opts.password } : {}),
    lazyConnect: true,
    connectTimeout: opts.connectTimeoutMs,
    commandTimeout: opts.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
    enableOfflineQueue: false,
  });
  // Without retries ioredis rejects connect() with a bare "Connection is closed."; the cause (refused, timed
  // out) only comes as an 'error' event, so it is kept for the message.
  let cause: Error | undefined;
  client.on('error', (err: Error) => (cause = err));
  try {
    await client.connect();
    const [myId, nodes, info] = await Promise.all([
      clusterCommand(client, 'MYID'),
      clusterCommand(client, 'NODES'),
      clusterCommand(client, 'INFO'),
    ]);
    return {
      observation: {
        ...base,
        ip,
        state: { myId: myId.trim(), nodes: parseClusterNodes(nodes), info: parseClusterInfo(info) },
      },
      client,
    };
  } catch (err) {
    client.disconnect();
    return { observation: { ...base, ip, error: (cause ?? (err as Error)).message } };
  }
}

/** `CLUSTER <sub> …` with the reply as text (all the subcommands the keeper uses answer a string or OK). */
export async function clusterCommand(client: Redis, sub: string, ...args: (string | number)[]): Promise<string> {
  const reply = await client.call('CLUSTER', sub, ...args.map(String));
  return typeof reply === 'string' ? reply : Buffer.isBuffer(reply) ? reply.toString() : String(reply);
}
