/** SQLSTATEs worth retrying a whole transaction for: deadlock, serialization failure, connection loss. */
const RETRIABLE_SQLSTATES = new Set(['40P01', '40001', '57P01', '08006', '08003', '08000']);

/**
 * Whether Postgres said the transaction may succeed if run again. A Postgres that is down answers with no
 * SQLSTATE at all (ECONNREFUSED, a connect timeout), so `false` here does not mean "give up": the consumers
 * retry every failed flush (see runtime/consumer-runtime.ts) and only log this.
 */
export function isRetriablePgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRIABLE_SQLSTATES.has(code);
}
