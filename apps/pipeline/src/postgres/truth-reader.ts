import type { PostSnapshot, PostStore, PostView, TruthReader } from '@likepipe/core';
import type pg from 'pg';
import { prepared } from './sql.js';

interface PostRow {
  id: string;
  author_id: string;
  created_at: Date;
  like_count: number;
}

const toView = (r: PostRow): PostView => ({
  id: r.id,
  authorId: r.author_id,
  createdAt: r.created_at.toISOString(),
  likeCount: r.like_count,
});

/** Reads of the truth plus post creation. Nothing here runs on the like path except reads. */
export class PgTruth implements TruthReader, PostStore {
  constructor(private readonly pool: pg.Pool) {}

  async loadSnapshot(postId: string): Promise<PostSnapshot | null> {
    const { rows } = await this.pool.query<PostRow & { likers: string[] }>(prepared('load-post-snapshot', [postId]));
    const r = rows[0];
    return r ? { ...toView(r), likers: r.likers } : null;
  }

  async readPost(postId: string, userId: string): Promise<(PostView & { likedByMe: boolean }) | null> {
    const { rows } = await this.pool.query<PostRow & { liked_by_me: boolean }>(prepared('read-post', [postId, userId]));
    const r = rows[0];
    return r ? { ...toView(r), likedByMe: r.liked_by_me } : null;
  }

  async create(post: { id: string; authorId: string; createdAt: string }): Promise<boolean> {
    const { rowCount } = await this.pool.query(prepared('create-post', [post.id, post.authorId, post.createdAt]));
    return rowCount === 1;
  }

  async exists(postId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ exists: boolean }>(prepared('post-exists', [postId]));
    return rows[0]?.exists === true;
  }
}
