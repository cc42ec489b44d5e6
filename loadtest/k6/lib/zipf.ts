/**
 * Post popularity: the post of rank r is picked with probability ∝ 1/r^s. The cumulative distribution is built once
 * per VU in the init context; each pick is then a binary search, cheap enough for every iteration.
 */
export function zipfCdf(n: number, exponent: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 1; r <= n; r++) {
    total += 1 / Math.pow(r, exponent);
    cdf[r - 1] = total;
  }
  for (let i = 0; i < n; i++) cdf[i] = cdf[i]! / total;
  return cdf;
}

/** The 0-based rank whose cumulative probability first reaches u, for u in [0, 1). */
export function zipfPick(cdf: Float64Array, u: number = Math.random()): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! >= u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
