import {
  CLUSTER_SLOTS,
  ClusterNodesParseError,
  formatSlots,
  missingSlots,
  normalizeSlots,
  parseClusterInfo,
  parseClusterNodes,
  shardSlotRange,
  slotCount,
} from '@likepipe/ops';

const A = '16c4d606ec281e5c517b1f8301cef8218dc9648a';
const B = '737b8ffa0b59207871489c5cf367e898294d6c0c';
const C = 'c2254c036625aecbcc3b9bef4d4a7cde4ac59e56';

describe('parseClusterNodes', () => {
  it('parses the lines Redis 7 prints, including itself before it learned its IP', () => {
    const nodes = parseClusterNodes(
      [
        `${A} :7491@17491 myself,master - 0 0 1 connected 0-100 200-300 16383`,
        `${B} 10.1.2.3:6379@16379,redis-1.redis.ns.svc slave ${A} 0 1795533588824 1 connected`,
        `${C} :0@0 master,fail,noaddr - 1795533591836 1795533590831 0 disconnected`,
        '',
      ].join('\n'),
    );
    expect(nodes).toHaveLength(3);
    expect(nodes[0]).toMatchObject({
      id: A,
      ip: '',
      port: 7491,
      busPort: 17491,
      myself: true,
      master: true,
      replica: false,
      masterId: null,
      configEpoch: 1,
      connected: true,
      slots: [
        [0, 100],
        [200, 300],
        [16383, 16383],
      ],
    });
    expect(nodes[1]).toMatchObject({
      ip: '10.1.2.3',
      port: 6379,
      busPort: 16379,
      hostname: 'redis-1.redis.ns.svc',
      replica: true,
      master: false,
      masterId: A,
      slots: [],
    });
    expect(nodes[2]).toMatchObject({ ip: '', port: 0, failed: true, noaddr: true, connected: false });
  });

  it('tells a suspected failure (fail?) from a confirmed one, and sees handshakes and empty flags', () => {
    const [suspect, handshake, none] = parseClusterNodes(
      [
        `${A} 10.0.0.1:6379@16379 master,fail? - 1 1 2 disconnected 5-6`,
        `${B} 10.0.0.2:6379@16379 handshake - 0 0 0 connected`,
        `${C} 10.0.0.3:6379@16379 noflags - 0 0 0 connected`,
      ].join('\r\n'),
    );
    expect(suspect).toMatchObject({ suspected: true, failed: false, slots: [[5, 6]] });
    expect(handshake).toMatchObject({ handshake: true, master: false });
    expect(none!.flags).toEqual([]);
  });

  it('reads IPv6 addresses and skips slots that are only migrating or importing', () => {
    const [n] = parseClusterNodes(`${A} ::1:7000@17000 myself,master - 0 0 3 connected 0-10 [11->-${B}] [12-<-${C}]`);
    expect(n).toMatchObject({ ip: '::1', port: 7000, busPort: 17000, slots: [[0, 10]] });
  });

  it('rejects what it does not understand with a typed error', () => {
    expect(() => parseClusterNodes('garbage')).toThrow(ClusterNodesParseError);
    expect(() => parseClusterNodes(`nothex 1.2.3.4:1@2 master - 0 0 0 connected`)).toThrow(/bad node id/);
    expect(() => parseClusterNodes(`${A} 1.2.3.4:1@2 master - 0 0 0 connected 0-16384`)).toThrow(/out of bounds/);
    expect(() => parseClusterNodes(`${A} 1.2.3.4:x@2 master - 0 0 0 connected`)).toThrow(/bad port/);
  });
});

describe('parseClusterInfo', () => {
  it('reads key:value lines', () => {
    expect(parseClusterInfo('cluster_state:ok\r\ncluster_slots_assigned:16384\r\n')).toEqual({
      cluster_state: 'ok',
      cluster_slots_assigned: '16384',
    });
  });
});

describe('slot ranges', () => {
  it('splits 16384 slots into contiguous shards whose sizes differ by at most one', () => {
    for (const shards of [3, 4, 5, 7, 10, 128]) {
      const ranges = Array.from({ length: shards }, (_, s) => shardSlotRange(s, shards));
      expect(ranges[0]![0]).toBe(0);
      expect(ranges[shards - 1]![1]).toBe(CLUSTER_SLOTS - 1);
      for (let s = 1; s < shards; s++) expect(ranges[s]![0]).toBe(ranges[s - 1]![1] + 1);
      const sizes = ranges.map((r) => slotCount([r]));
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect([0, 1, 2].map((s) => shardSlotRange(s, 3))).toEqual([
      [0, 5460],
      [5461, 10921],
      [10922, 16383],
    ]);
  });

  it('merges, finds and formats gaps', () => {
    expect(
      normalizeSlots([
        [10, 20],
        [0, 5],
        [6, 9],
        [15, 30],
      ]),
    ).toEqual([[0, 30]]);
    expect(missingSlots([[0, 100]])).toEqual([[101, 16383]]);
    expect(
      missingSlots([
        [0, 5460],
        [10922, 16383],
      ]),
    ).toEqual([[5461, 10921]]);
    expect(missingSlots([[0, 16383]])).toEqual([]);
    expect(
      formatSlots([
        [7, 7],
        [0, 5],
      ]),
    ).toBe('0-5,7');
  });
});
