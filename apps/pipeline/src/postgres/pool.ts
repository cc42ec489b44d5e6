import pg from 'pg';

// bigint columns (like_count) arrive as strings by default; counts fit a JS number for any realistic post.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPool(url: string, opts: { max: number; applicationName: string }): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max: opts.max,
    application_name: opts.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
}
