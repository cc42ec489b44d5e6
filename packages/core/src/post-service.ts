import { AlreadyExistsError, NotFoundError } from './errors/index.js';
import type { LikeService } from './like-service.js';
import {
  SpeedLayerUnavailableError,
  type Clock,
  type PostStore,
  type PostView,
  type SpeedLayer,
  type TruthReader,
} from './ports.js';

export class PostService {
  constructor(
    private readonly deps: {
      speed: SpeedLayer;
      truth: TruthReader;
      posts: PostStore;
      likes: LikeService;
      clock: Clock;
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
    const { speed, truth } = this.deps;
    let view: (PostView & { likedByMe: boolean }) | null = null;
    try {
      view = await speed.read(postId, viewerId);
      if (!view && (await this.deps.likes.warm(postId))) view = await speed.read(postId, viewerId);
    } catch (err) {
      if (!(err instanceof SpeedLayerUnavailableError)) throw err;
    }
    view ??= await truth.readPost(postId, viewerId);
    if (!view) throw new NotFoundError(`post ${postId} does not exist`);
    return view;
  }
}
