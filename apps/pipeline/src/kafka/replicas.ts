import { Connection, metadataV12 } from '@platformatic/kafka';

/** One partition's leader (-1: none) and in-sync replicas, as the cluster reports it now. */
export interface PartitionReplicas {
  partition: number;
  leader: number;
  isr: number[];
}

/**
 * The partitions of `topics` as one broker reports them, internal topics included: the clients' `metadata()`
 * leaves out internal topics such as `__consumer_offsets`, whose replicas matter as much to whether the cluster
 * is whole again after a broker's loss (the groups' coordinators live there). One Metadata request on a
 * connection of its own to the first broker that answers.
 */
export async function readPartitionReplicas(
  brokers: readonly string[],
  topics: readonly string[],
): Promise<Map<string, PartitionReplicas[]>> {
  let lastError: unknown;
  for (const broker of brokers) {
    const [host, port] = broker.split(':') as [string, string];
    const connection = new Connection('likepipe-replicas', { connectTimeout: 2_000, requestTimeout: 5_000 });
    try {
      await connection.connect(host, Number(port));
      const meta = await metadataV12.api.async(connection, [...topics], false, false);
      return new Map(
        meta.topics.map((t) => [
          t.name ?? '',
          t.partitions
            .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, isr: p.isrNodes }))
            .sort((a, b) => a.partition - b.partition),
        ]),
      );
    } catch (err) {
      lastError = err;
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  throw lastError;
}
