import type { FollowStore, Relationship, RelationshipReader } from '@likepipe/core';
import type pg from 'pg';
import { prepared } from './sql.js';

/** Follows (written by the API, low volume: no batching needed) and the viewer's relationships for the feed. */
export class PgFollowStore implements FollowStore, RelationshipReader {
  constructor(private readonly pool: pg.Pool) {}

  async follow(followerId: string, followeeId: string, at: Date): Promise<boolean> {
    const r = await this.pool.query(prepared('follow', [followerId, followeeId, at]));
    return r.rowCount === 1;
  }

  async unfollow(followerId: string, followeeId: string): Promise<boolean> {
    const r = await this.pool.query(prepared('unfollow', [followerId, followeeId]));
    return r.rowCount === 1;
  }

  async relationships(viewerId: string, authorIds: readonly string[]): Promise<Map<string, Relationship>> {
    const out = new Map<string, Relationship>();
    if (authorIds.length === 0) return out;
    const { rows } = await this.pool.query<{ author_id: string; follows: boolean; likes: string }>(
      prepared('read-relationships', [viewerId, authorIds]),
    );
    for (const r of rows) out.set(r.author_id, { follows: r.follows, likesOfAuthor: Number(r.likes) });
    return out;
  }
}
