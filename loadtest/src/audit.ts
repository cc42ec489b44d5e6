import pg from 'pg';
import type { Ledger } from './ledger.js';
import type { Audit } from './summary.js';

/** How long Postgres' rows must stay unchanged to call the pipeline quiet: several truth-writer flushes. */
const QUIET_MS = 5_000;

/**
 * Holds Postgres (the truth) and the API to the ledger once the pipeline is quiet (DESIGN invariants 1 and 2):
 * every acknowledged like is one row, every acknowledged unlike removed its row, like_count equals the rows of
 * every post, and the API serves that count within one reconcile period. Also measures the batching: Postgres
 * transactions per 1,000 likes.
 */
export class Auditor {
  private readonly db: pg.Pool;
  private ownQueries = 0;
  private xactsBefore = 0;

  constructor(
    databaseUrl: string,
    private readonly apiUrl: string,
    private readonly token: string,
    private readonly reconcileIntervalMs: number,
  ) {
    this.db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    // Postgres may be restarted by the chaos schedule: an idle client's error must not end the run.
    this.db.on('error', () => undefined);
  }

  private query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.ownQueries++;
    return this.db.query<R>(text, values);
  }

  private async xacts(): Promise<number> {
    const { rows } = await this.query<{ n: string }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]!.n);
  }

  /** Before the load: the transaction counter to measure from. */
  async begin(): Promise<void> {
    this.xactsBefore = await this.xacts();
    this.ownQueries = 0;
  }

  async audit(ledger: Ledger, posts: string[], produceRequests: number, replayMismatches: number): Promise<Audit> {
    const liked = ledger.finalState('like');
    const unliked = ledger.finalState('unlike');
    const expectedRows = [...liked.values()].reduce((n, s) => n + s.size, 0);
    const started = performance.now();
    // Quiet: Postgres holds every acknowledged action and its row count has not moved for QUIET_MS, or nothing
    // has changed for 30 s (then what is missing is lost). Holding the acknowledged ones is not enough: likes whose
    // answer the client gave up on (timeouts under overload) are still on their way and move the count after.
    let check = await this.compare(posts, liked, unliked);
    let lastChange = performance.now();
    const settled = () => check.missing === 0 && check.unlikesLost === 0 && performance.now() - lastChange >= QUIET_MS;
    while (!settled() && performance.now() - lastChange < 30_000) {
      await new Promise((r) => setTimeout(r, 500));
      const next = await this.compare(posts, liked, unliked);
      if (next.missing !== check.missing || next.unlikesLost !== check.unlikesLost || next.rows !== check.rows) {
        lastChange = performance.now();
      }
      check = next;
    }
    const quietAfterS = (performance.now() - started) / 1000;
    const countMismatches = await this.countMismatches(posts);
    const apiMismatches = await this.apiMismatches(posts);
    // Backends report to pg_stat_database once idle for about 10 s: wait that long for settled figures.
    await new Promise((r) => setTimeout(r, 11_000));
    const xacts = (await this.xacts()) - this.xactsBefore - this.ownQueries;
    const likes = Math.max(1, ledger.likes);
    const audit: Audit = {
      acknowledgedLikes: ledger.likes,
      acknowledgedUnlikes: ledger.unlikes,
      expectedRows,
      missing: check.missing,
      unlikesLost: check.unlikesLost,
      unacknowledgedRows: check.unacknowledged,
      countMismatches,
      apiMismatches,
      quietAfterS,
      postgresTxPer1000Likes: (xacts / likes) * 1000,
      kafkaProduceRequestsPer1000Likes: (produceRequests / likes) * 1000,
      replayMismatches,
      ok: false,
    };
    audit.ok =
      audit.missing === 0 &&
      audit.unlikesLost === 0 &&
      countMismatches.length === 0 &&
      apiMismatches.length === 0 &&
      replayMismatches === 0;
    return audit;
  }

  private async compare(
    posts: string[],
    liked: Map<string, Set<string>>,
    unliked: Map<string, Set<string>>,
  ): Promise<{ missing: number; unlikesLost: number; unacknowledged: number; rows: number }> {
    const { rows } = await this.query<{ post_id: string; user_id: string }>(
      'SELECT post_id, user_id FROM likes WHERE post_id = ANY($1)',
      [posts],
    );
    const present = new Map<string, Set<string>>();
    for (const r of rows) {
      let s = present.get(r.post_id);
      if (!s) present.set(r.post_id, (s = new Set()));
      s.add(r.user_id);
    }
    let missing = 0;
    let unlikesLost = 0;
    let unacknowledged = 0;
    for (const [post, users] of liked) for (const u of users) if (!present.get(post)?.has(u)) missing++;
    for (const [post, users] of present) {
      for (const u of users) {
        if (unliked.get(post)?.has(u)) unlikesLost++;
        else if (!liked.get(post)?.has(u)) unacknowledged++;
      }
    }
    return { missing, unlikesLost, unacknowledged, rows: rows.length };
  }

  private async countMismatches(posts: string[]): Promise<Audit['countMismatches']> {
    const { rows } = await this.query<{ id: string; like_count: string; rows: string }>(
      `SELECT p.id, p.like_count, (SELECT count(*) FROM likes l WHERE l.post_id = p.id) AS rows
         FROM posts p WHERE p.id = ANY($1)`,
      [posts],
    );
    return rows
      .filter((r) => r.like_count !== r.rows)
      .map((r) => ({ postId: r.id, likeCount: Number(r.like_count), rows: Number(r.rows) }));
  }

  /** Polls the API until it serves Postgres' count for every post, for at most one reconcile period (+1 s). */
  private async apiMismatches(posts: string[]): Promise<Audit['apiMismatches']> {
    const { rows } = await this.query<{ id: string; like_count: string }>(
      'SELECT id, like_count FROM posts WHERE id = ANY($1)',
      [posts],
    );
    const truth = new Map(rows.map((r) => [r.id, Number(r.like_count)]));
    const deadline = performance.now() + this.reconcileIntervalMs + 1_000;
    let pending = posts;
    let served = new Map<string, number | null>();
    for (;;) {
      served = new Map(await Promise.all(pending.map(async (p) => [p, await this.apiCount(p)] as const)));
      pending = pending.filter((p) => served.get(p) !== truth.get(p));
      if (pending.length === 0 || performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return pending.map((p) => ({ postId: p, api: served.get(p) ?? null, postgres: truth.get(p) ?? 0 }));
  }

  private async apiCount(postId: string): Promise<number | null> {
    const r = await fetch(new URL(`/api/posts/${postId}`, this.apiUrl), {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(5_000),
    }).catch(() => null);
    if (!r?.ok) return null;
    return ((await r.json()) as { likeCount: number }).likeCount;
  }

  async close(): Promise<void> {
    await this.db.end();
  }
}
