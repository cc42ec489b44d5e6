/** Settings every client gets alike, taken from the pipeline's defaults (packages/contract role-env, consumer runtime). */
export const SESSION_TIMEOUT_MS = 30_000;
export const HEARTBEAT_INTERVAL_MS = 3_000;
/** The pipeline's consumers wait at most this long on an empty fetch. */
export const FETCH_MAX_WAIT_MS = 250;
/** LIKEPIPE_PRODUCER_TIMEOUT_MS. */
export const PRODUCE_TIMEOUT_MS = 5_000;
