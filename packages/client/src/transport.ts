import { parseRetryAfter, retryDelayMs, type BackoffPolicy } from './backoff.js';
import {
  IdempotencyInProgressError,
  LikeClientError,
  NetworkError,
  RateLimitedError,
  RequestRejectedError,
  ServerUnavailableError,
  UnexpectedResponseError,
} from './errors/index.js';

/** A bearer token, or a function that returns the current one (called before every attempt, so it may refresh). */
export type TokenSource = string | (() => string | Promise<string>);

export interface TransportOptions {
  /** Origin of the like-API, e.g. `https://likes.example.com`; `''` means the page's own origin. */
  baseUrl: string;
  token: TokenSource;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Attempts per request, the first included. Default 5. */
  maxAttempts?: number;
  /** Default 250 ms, doubling up to `maxDelayMs` (default 4 s), with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * A Retry-After longer than this is not waited for: the request fails at once. Default 20 s — a heart that
   * stays red for a minute while a rate limit runs out is worse than an honest rollback.
   */
  maxRetryAfterMs?: number;
  /** Per attempt; a timed-out attempt is retried with the same idempotency key. Default 10 s. */
  requestTimeoutMs?: number;
  /** Seams for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** What a like or unlike left on the server. `likeCount` is null when the API answered 202 (degraded). */
export interface LikeOutcome {
  postId: string;
  liked: boolean;
  likeCount: number | null;
  degraded: boolean;
}

/** A post as the server sees it for this user. */
export interface PostSnapshot {
  postId: string;
  liked: boolean;
  likeCount: number;
}

interface Attempt {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  idempotencyKey?: string;
}

/**
 * The like-API's HTTP contract, with retries: network errors, timeouts, 5xx, 429 and 409
 * `idempotency_in_progress` are retried (honouring Retry-After) with the same idempotency key, so the server
 * acts at most once however often the request is sent; any other 4xx is final.
 */
export class LikeTransport {
  private readonly fetch: typeof fetch;
  private readonly baseUrl: string;
  private readonly maxAttempts: number;
  private readonly policy: BackoffPolicy;
  private readonly maxRetryAfterMs: number;
  private readonly requestTimeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: TransportOptions) {
    // Bound: a browser's fetch called as a method of another object throws "Illegal invocation".
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.policy = { baseDelayMs: options.baseDelayMs ?? 250, maxDelayMs: options.maxDelayMs ?? 4_000 };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 20_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** POST (like) or DELETE (unlike) `/api/posts/{id}/like`; every attempt carries `idempotencyKey`. */
  async setLiked(postId: string, liked: boolean, idempotencyKey: string): Promise<LikeOutcome> {
    const path = `/api/posts/${encodeURIComponent(postId)}/like`;
    const { status, body } = await this.send({ method: liked ? 'POST' : 'DELETE', path, idempotencyKey });
    const b = body as { liked?: unknown; likeCount?: unknown; degraded?: unknown } | null;
    const likeCount = b?.likeCount;
    if (typeof b?.liked !== 'boolean' || !(likeCount === null || typeof likeCount === 'number')) {
      throw new UnexpectedResponseError(`${status} from ${path} without {liked, likeCount}`, status);
    }
    // 202 is the API's degraded mode: the like is durable, only the count is unknown for now.
    return { postId, liked: b.liked, likeCount, degraded: status === 202 || b.degraded === true };
  }

  /** GET `/api/posts/{id}`: the count and whether this user likes it. */
  async getPost(postId: string): Promise<PostSnapshot> {
    const path = `/api/posts/${encodeURIComponent(postId)}`;
    const { status, body } = await this.send({ method: 'GET', path });
    const b = body as { likeCount?: unknown; likedByMe?: unknown } | null;
    if (typeof b?.likeCount !== 'number' || typeof b.likedByMe !== 'boolean') {
      throw new UnexpectedResponseError(`${status} from ${path} without {likeCount, likedByMe}`, status);
    }
    return { postId, liked: b.likedByMe, likeCount: b.likeCount };
  }

  private async send(attempt: Attempt): Promise<{ status: number; body: unknown }> {
    for (let n = 1; ; n++) {
      try {
        return await this.once(attempt);
      } catch (err) {
        const error = asClientError(err);
        if (!error.retriable || n >= this.maxAttempts) throw error;
        const { retryAfterMs } = error as { retryAfterMs?: number };
        if (retryAfterMs !== undefined && retryAfterMs > this.maxRetryAfterMs) throw error;
        await this.sleep(retryDelayMs(n, retryAfterMs, this.policy, this.random));
      }
    }
  }

  private async once({ method, path, idempotencyKey }: Attempt): Promise<{ status: number; body: unknown }> {
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let res: Response;
    let text: string;
    try {
      res = await this.fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new NetworkError(`${method} ${path}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    const body = parseJson(text);
    if (res.status >= 200 && res.status < 300) return { status: res.status, body };

    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const serverCode = typeof error?.code === 'string' ? error.code : undefined;
    const message = `${method} ${path}: ${res.status} ${typeof error?.message === 'string' ? error.message : res.statusText}`;
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
    if (res.status === 429) throw new RateLimitedError(message, retryAfterMs);
    if (res.status === 409 && serverCode === 'idempotency_in_progress') {
      throw new IdempotencyInProgressError(message, retryAfterMs);
    }
    if (res.status >= 500) throw new ServerUnavailableError(message, res.status, retryAfterMs);
    throw new RequestRejectedError(message, res.status, serverCode);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function asClientError(err: unknown): LikeClientError {
  if (err instanceof LikeClientError) return err;
  return new UnexpectedResponseError(err instanceof Error ? err.message : String(err), undefined, { cause: err });
}
