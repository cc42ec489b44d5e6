import { keySlot } from '@likepipe/pipeline/redis/key-slot.js';
import { redisKeys, shardOf } from '@likepipe/pipeline/redis/keys.js';

describe('keySlot (what CLUSTER KEYSLOT answers)', () => {
  test('known slots, with and without a hash tag', () => {
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('123456789')).toBe(12739); // CRC16/XMODEM check value 0x31C3
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')); // empty tag: the whole key
    expect(keySlot(redisKeys.post('p1'))).toBe(keySlot(redisKeys.likers('p1')));
  });

  test("a split post's sub-slot keys share one slot per sub-slot, and sub-slots differ", () => {
    const slots = Array.from({ length: 8 }, (_, k) => {
      const s = keySlot(redisKeys.shard('p1', 'e1', k));
      expect(keySlot(redisKeys.shardLikers('p1', 'e1', k))).toBe(s);
      expect(keySlot(redisKeys.shardUnliked('p1', 'e1', k))).toBe(s);
      expect(keySlot(redisKeys.shardBased('p1', 'e1', k))).toBe(s);
      return s;
    });
    expect(new Set(slots).size).toBe(8);
  });

  test('shardOf is stable and spreads users', () => {
    expect(shardOf('alice', 8)).toBe(shardOf('alice', 8));
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8_000; i++) counts[shardOf(`user-${i}`, 8)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
  });
});
