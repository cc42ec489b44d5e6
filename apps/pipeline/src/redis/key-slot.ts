/**
 * Redis Cluster's hash slot of a key (CRC16/XMODEM of its hash tag, mod 16384), as the cluster computes it: lets
 * the like-API place a split post's sub-slots on distinct masters without asking the server.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

export function keySlot(key: string): number {
  const open = key.indexOf('{');
  let tag = key;
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) tag = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(tag)) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % 16384;
}
