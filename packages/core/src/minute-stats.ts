import { InvalidRequestError } from './errors/invalid-request-error.js';
import { NotFoundError } from './errors/not-found-error.js';
import type { LikeEvent } from './events.js';

/** One (post, minute) counter increment. */
export interface MinuteStat {
  postId: string;
  /** Start of the minute, ISO-8601 UTC. */
  minute: string;
  likes: number;
  unlikes: number;
}

export const MINUTE_MS = 60_000;

export const minuteOf = (at: string | number | Date): string =>
  new Date(Math.floor(new Date(at).getTime() / MINUTE_MS) * MINUTE_MS).toISOString();

/**
 * Folds events into one increment per (post, minute) of the time the API accepted them. Only actions that
 * changed something count: a repeated like (`changed: false`) is not a like. When Redis was bypassed the API
 * could not tell (`changed` null or absent), and the action counts — analytics leans to counting taps there.
 */
export function foldMinuteStats(events: readonly LikeEvent[]): MinuteStat[] {
  const byKey = new Map<string, MinuteStat>();
  for (const e of events) {
    if (e.changed === false) continue;
    const minute = minuteOf(e.at);
    const key = `${e.postId}\u0000${minute}`;
    let s = byKey.get(key);
    if (!s) {
      s = { postId: e.postId, minute, likes: 0, unlikes: 0 };
      byKey.set(key, s);
    }
    if (e.type === 'like') s.likes++;
    else s.unlikes++;
  }
  return [...byKey.values()];
}

/** A requested stats window, checked: bad input is an error naming the parameter, never a silent clamp. */
export interface StatsWindow {
  from: Date;
  to: Date;
}

export const MAX_STATS_WINDOW_MS = 7 * 24 * 60 * 60_000;

/** Reads the per-minute series (the analytics role's table). */
export interface StatsReader {
  series(postId: string, window: StatsWindow): Promise<MinuteStat[]>;
}

export interface PostStatsView {
  postId: string;
  from: string;
  to: string;
  totals: { likes: number; unlikes: number };
  series: { minute: string; likes: number; unlikes: number }[];
}

/**
 * `GET /api/posts/{id}/stats?from=&to=`: the window defaults to the last hour, is cut to whole minutes
 * (`from` down, `to` up), and may span at most 7 days.
 */
export class StatsService {
  constructor(
    private readonly deps: {
      stats: StatsReader;
      posts: { exists(postId: string): Promise<boolean> };
      clock: { now(): number };
    },
  ) {}

  window(from: string | undefined, to: string | undefined): StatsWindow {
    const parse = (v: string, name: string) => {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) {
        throw new InvalidRequestError(
          `expected an ISO-8601 time with a zone, like 2026-01-31T12:00:00Z, got "${v}"`,
          name,
        );
      }
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) throw new InvalidRequestError(`"${v}" is not a valid time`, name);
      return ms;
    };
    const toMs = to === undefined ? this.deps.clock.now() : parse(to, 'query parameter to');
    const fromMs = from === undefined ? toMs - 60 * MINUTE_MS : parse(from, 'query parameter from');
    const start = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
    const end = Math.ceil(toMs / MINUTE_MS) * MINUTE_MS;
    if (end <= start) throw new InvalidRequestError('must be after from', 'query parameter to');
    if (end - start > MAX_STATS_WINDOW_MS) {
      throw new InvalidRequestError('the window from..to may span at most 7 days', 'query parameter to');
    }
    return { from: new Date(start), to: new Date(end) };
  }

  async get(postId: string, from: string | undefined, to: string | undefined): Promise<PostStatsView> {
    const window = this.window(from, to);
    if (!(await this.deps.posts.exists(postId))) throw new NotFoundError(`post ${postId} does not exist`);
    const rows = await this.deps.stats.series(postId, window);
    const series = rows.map(({ minute, likes, unlikes }) => ({ minute, likes, unlikes }));
    return {
      postId,
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      totals: {
        likes: series.reduce((s, r) => s + r.likes, 0),
        unlikes: series.reduce((s, r) => s + r.unlikes, 0),
      },
      series,
    };
  }
}
