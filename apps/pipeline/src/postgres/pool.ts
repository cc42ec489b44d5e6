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
  return pool;
}
