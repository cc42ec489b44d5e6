import { randomBytes } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import type { Action, Ledger } from './ledger.js';
import type { Outcome } from './recorder.js';
import type { Workload } from './scenario.js';

/** One request the generator sends, and what to make of its answer. */
export interface PlannedRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  bot: boolean;
  /** Called once with the HTTP status (null: no answer: timeout or connection failure). */
  settle(status: number | null, replayed: boolean): Outcome;
}

/** Samples post ranks with P(r) ∝ 1/r^s from the cumulative weights (binary search: O(log n) per request). */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(n: number, s: number) {
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let r = 1; r <= n; r++) this.cdf[r - 1] = total += 1 / r ** s;
    for (let i = 0; i < n; i++) this.cdf[i]! /= total;
  }

  sample(u = Math.random()): number {
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Answered {
  request: Omit<PlannedRequest, 'settle'>;
  status: number;
}

/**
 * What a scenario's users do, one request at a time. Two actions of one (post, user) pair are never in flight
 * together, and a pair whose outcome is unknown (an error or no answer) is never touched again, so the order
 * of the ledger is the order Postgres must reflect.
 */
export class WorkloadModel {
  private readonly zipf: ZipfSampler;
  private readonly sign: (payload: { sub: string }) => string;
  private readonly tokens = new Map<string, string>();
  private readonly busy = new Set<string>();
  private readonly tainted = new Set<string>();
  /** Pairs whose last acknowledged action is a like, for unlikes to pick from. */
  private readonly liked: [string, string][] = [];
  private readonly retries: Answered[] = [];
  private seq = 0;
  replayMismatches = 0;
  replays = 0;

  constructor(
    private readonly w: Workload,
    private readonly posts: string[],
    private readonly runId: string,
    jwtSecret: string,
    private readonly ledger: Ledger,
  ) {
    this.zipf = new ZipfSampler(posts.length, w.zipfExponent);
    // fast-jwt signs synchronously with node:crypto: a distinct-users run signs one token per request.
    this.sign = createSigner({ key: jwtSecret, algorithm: 'HS256', expiresIn: 6 * 3600 * 1000 });
  }

  private token(user: string): string {
    let t = this.tokens.get(user);
    if (!t) {
      t = this.sign({ sub: user });
      // A distinct-users run never asks again; keep only a pool's tokens.
      if (this.w.users !== 'distinct') this.tokens.set(user, t);
    }
    return t;
  }

  private user(): string {
    if (this.w.users === 'distinct') return `${this.runId}-u${this.seq++}`;
    return `${this.runId}-u${Math.floor(Math.random() * this.w.users)}`;
  }

  private post(): string {
    return this.posts[this.zipf.sample()]!;
  }

  next(): PlannedRequest {
    const { read, like, unlike } = this.w.mix;
    let x = Math.random() * (read + like + unlike);
    if (x < read) return this.read();
    x -= read;
    if (Math.random() < this.w.retryFraction && this.retries.length > 0) return this.retry();
    if (x < like) return this.write('like');
    return this.liked.length > 0 ? this.write('unlike') : this.write('like');
  }

  /** A bot: far over the per-user rate limit on the most popular post, so most answers are 429. */
  bot(i: number): PlannedRequest {
    return this.action('like', this.posts[0]!, `${this.runId}-bot${i}`, true);
  }

  private read(): PlannedRequest {
    return {
      method: 'GET',
      path: `/api/posts/${this.post()}/count`,
      headers: { authorization: `Bearer ${this.token(this.user())}` },
      bot: false,
      settle: (status) => (status === 200 ? 'ok' : 'error'),
    };
  }

  private write(kind: Action): PlannedRequest {
    if (kind === 'unlike') {
      for (let tries = 0; tries < 8 && this.liked.length > 0; tries++) {
        const i = Math.floor(Math.random() * this.liked.length);
        const [post, user] = this.liked[i]!;
        this.liked[i] = this.liked[this.liked.length - 1]!;
        this.liked.pop();
        if (!this.busy.has(`${post}\0${user}`)) return this.action('unlike', post, user, false);
      }
    }
    for (let tries = 0; ; tries++) {
      const post = this.post();
      const user = this.user();
      const pair = `${post}\0${user}`;
      if ((!this.busy.has(pair) && !this.tainted.has(pair)) || tries >= 8)
        return this.action('like', post, user, false);
    }
  }

  private action(kind: Action, post: string, user: string, bot: boolean): PlannedRequest {
    const pair = `${post}\0${user}`;
    const request = {
      method: kind === 'like' ? ('POST' as const) : ('DELETE' as const),
      path: `/api/posts/${post}/like`,
      headers: {
        authorization: `Bearer ${this.token(user)}`,
        'idempotency-key': randomBytes(12).toString('base64url'),
      },
      bot,
    };
    const owned = !this.busy.has(pair) && !this.tainted.has(pair);
    if (owned) this.busy.add(pair);
    return {
      ...request,
      settle: (status) => {
        if (owned) this.busy.delete(pair);
        const ok = status !== null && status >= 200 && status < 300;
        if (ok) {
          this.ledger.ack(kind, post, user);
          if (kind === 'like' && !bot && this.w.mix.unlike > 0) this.liked.push([post, user]);
          if (!bot && this.w.retryFraction > 0) this.remember({ request, status });
          return 'ok';
        }
        if (owned && !(bot && status === 429)) this.tainted.add(pair);
        if (bot && status === 429) return 'expected';
        return 'error';
      },
    };
  }

  private remember(a: Answered): void {
    // A bounded pool of recent answers: retries are of recent requests, as a client's would be.
    if (this.retries.length >= 1_000) this.retries[Math.floor(Math.random() * this.retries.length)] = a;
    else this.retries.push(a);
  }

  /** The same request again with the same Idempotency-Key: the API must replay the first answer, no new effect. */
  private retry(): PlannedRequest {
    const i = Math.floor(Math.random() * this.retries.length);
    const first = this.retries[i]!;
    this.retries[i] = this.retries[this.retries.length - 1]!;
    this.retries.pop();
    return {
      ...first.request,
      settle: (status, replayed) => {
        if (status === null || status >= 500) return 'error';
        this.replays++;
        if (status !== first.status || !replayed) this.replayMismatches++;
        return 'ok';
      },
    };
  }
}

export const newRunId = () => `lt${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
