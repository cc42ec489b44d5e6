import pg from 'pg';
import type { Logger } from '../observability/logger.js';

// bigint columns (like_count) arrive as strings by default; counts fit a JS number for any realistic post.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPool(url: string, opts: { max: number; applicationName: string; log?: Logger }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max,
    application_name: opts.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that Postgres closes (a restart, a failover) is dropped by the pool and the next query
  // opens a new one; without a listener, the pool's 'error' event would instead end the whole process.
  pool.on('error', (err) => opts.log?.warn('idle Postgres connection lost', { err }));
  // A checked-out client has no pool listener while it waits between the queries of a transaction (or before
  // it is released): a Postgres restart then makes it emit 'error' with nobody listening, which ends the
  // process (seen: the truth-writer died in the failover load test). The query in progress, if any, is rejected
  // anyway and the client released with that error is discarded by the pool, so logging is all that is left.
  pool.on('connect', (client) =>
    client.on('error', (err) => opts.log?.warn('Postgres connection lost while checked out', { err })),
  );
  return pool;
}
