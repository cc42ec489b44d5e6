import { createPool } from '@likepipe/pipeline/postgres/pool.js';
import { closeClients, db, env } from '../support/stack.js';

/**
 * The roles' Postgres pools survive a connection the server ends (a restart, a failover, an administrator):
 * found by the failover load test, where a Postgres restart ended the truth-writer through a checked-out
 * client's unhandled 'error' event. Terminating the backend is what a restart does to each connection.
 */
afterAll(closeClients);

async function terminate(pid: number): Promise<void> {
  const { rows } = await db.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [pid]);
  expect(rows[0]!.ok).toBe(true);
}

describe('createPool', () => {
  it('a checked-out client whose connection is ended does not end the process, and the pool goes on', async () => {
    const warnings: string[] = [];
    const log = { warn: (msg: string) => void warnings.push(msg) } as unknown as Parameters<
      typeof createPool
    >[1]['log'];
    const pool = createPool(env.DATABASE_URL!, { max: 2, applicationName: 'pool-test', log });
    try {
      const client = await pool.connect();
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // Between the queries of a transaction: checked out, no query running.
      await terminate(pid);
      await new Promise((r) => setTimeout(r, 300));
      expect(warnings).toContain('Postgres connection lost while checked out');
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('an idle client whose connection is ended is dropped, and the next query opens a new one', async () => {
    const warnings: string[] = [];
    const log = { warn: (msg: string) => void warnings.push(msg) } as unknown as Parameters<
      typeof createPool
    >[1]['log'];
    const pool = createPool(env.DATABASE_URL!, { max: 1, applicationName: 'pool-test', log });
    try {
      const pid = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await terminate(pid);
      await new Promise((r) => setTimeout(r, 300));
      expect(warnings.length).toBeGreaterThan(0);
      const again = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect(again).not.toBe(pid);
    } finally {
      await pool.end();
    }
  });
});
