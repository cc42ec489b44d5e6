import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

/** Versioned SQL migrations in apps/pipeline/migrations, applied by node-pg-migrate under its advisory lock. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export async function migrateUp(databaseUrl: string, log: (msg: string) => void): Promise<void> {
  await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    singleTransaction: true,
    checkOrder: true,
    verbose: false,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
}
