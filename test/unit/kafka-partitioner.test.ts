import { partitionOf } from '@likepipe/pipeline/kafka/partitioner.js';

/**
 * Where a key goes (apps/pipeline/src/kafka/partitioner.ts): the Java client's placement, murmur2 masked to 31
 * bits, which kafkajs used too. A client switch that placed keys otherwise would move a (post, user) key to
 * another partition while its older events wait unread on the first one.
 */
describe('partitionOf', () => {
  it('places keys by the Java client’s murmur2, masked positive', () => {
    // murmur2 of the key's bytes as Java's Utils.murmur2 computes it, then & 0x7fffffff.
    const javaHashes: [string, number][] = [
      ['0', 971027396],
      ['1', -1993445489],
      ['128', -326012175],
    ];
    for (const [key, hash] of javaHashes) {
      for (const partitions of [1, 12, 1_000_003]) {
        expect(partitionOf(key, partitions)).toBe((hash & 0x7fffffff) % partitions);
      }
    }
  });

  it('is not the unsigned hash (the client’s default), which places negative hashes elsewhere', () => {
    // -1993445489 read unsigned is 2301521807: 2301521807 % 12 = 11, against 154038159 % 12 = 3.
    expect(partitionOf('1', 12)).toBe(3);
  });
});
