import { AlreadyExistsError, NotFoundError, SpeedLayerUnavailableError } from './errors/index.js';
import type { LikeService } from './like-service.js';
import {
  type Clock,
  type PostStore,
  type PostView,
  type PostViewCache,
  type SpeedLayer,
  type TruthReader,
} from './ports.js';

/** Ids match ^[A-Za-z0-9_-]{1,64}$, so no liker is ever the empty string: a read for nobody in particular. */
const NO_VIEWER = '';

export class PostService {
  constructor(
    private readonly deps: {
      speed: SpeedLayer;
      truth: TruthReader;
      posts: PostStore;
      likes: LikeService;
      clock: Clock;
      /** Serves count reads (`count`); `get` always reads Redis, since likedByMe is per viewer. */
      viewCache?: PostViewCache;
      onWarn?: (msg: string, err: unknown) => void;
    },
  ) {}

  async create(id: string, authorId: string): Promise<PostView> {
    const createdAt = new Date(this.deps.clock.now()).toISOString();
    const created = await this.deps.posts.create({ id, authorId, createdAt });
    if (!created) throw new AlreadyExistsError(`post ${id} already exists`);
    const view: PostView = { id, authorId, createdAt, likeCount: 0 };
    try {
      // Warm now so the first like does not pay a Postgres read.
      await this.deps.speed.warm({ ...view, likers: [] });
    } catch (err) {
      this.deps.onWarn?.('could not warm a new post into Redis; it will be loaded on first use', err);
    }
    return view;
  }

  async get(postId: string, viewerId: string): Promise<PostView & { likedByMe: boolean }> {
    const view = await this.load(postId, viewerId);
    if (!view) throw new NotFoundError(`post ${postId} does not exist`);
    return view;
  }

  /**
   * The count alone, through the process's view cache: however many clients read a viral post, this process
   * reads Redis for it once per cache TTL. The count may trail the live one by that TTL (a like this process
   * applies refreshes it at once).
   */
  async count(postId: string): Promise<{ postId: string; likeCount: number }> {
    const load = async (): Promise<PostView | null> => {
      const v = await this.load(postId, NO_VIEWER);
      return v && { id: v.id, authorId: v.authorId, createdAt: v.createdAt, likeCount: v.likeCount };
    };
    const view = this.deps.viewCache ? await this.deps.viewCache.get(postId, load) : await load();
    if (!view) throw new NotFoundError(`post ${postId} does not exist`);
    return { postId, likeCount: view.likeCount };
  }

  private async load(postId: string, viewerId: string): Promise<(PostView & { likedByMe: boolean }) | null> {
    const { speed, truth } = this.deps;
    let view: (PostView & { likedByMe: boolean }) | null = null;
    try {
      view = await speed.read(postId, viewerId);
      if (!view && (await this.deps.likes.warm(postId))) view = await speed.read(postId, viewerId);
    } catch (err) {
      if (!(err instanceof SpeedLayerUnavailableError)) throw err;
    }
    view ??= await truth.readPost(postId, viewerId);
    return view;
  }
}
