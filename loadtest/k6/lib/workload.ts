import { check } from 'k6';
import exec from 'k6/execution';
import { acked, call, errorAt, errors, nextUrl, ok, postUrl, type Action } from './api.ts';
import type { TokenCache } from './jwt.ts';
import { slotAt } from './plan.ts';
import type { Scenario } from './scenario.ts';
import { zipfCdf, zipfPick } from './zipf.ts';

/** What setup() hands every iteration: small on purpose, k6 copies it into each VU. */
export interface RunData {
  runId: string;
  /** When the phases start (end of setup), ms since the epoch: the origin of the chaos schedule. */
  startMs: number;
}

/** Post ids are derived, not carried in the setup data: 100,000 of them would be copied into every VU. */
export const postIdOf = (scenario: string, runId: string, i: number): string => `k6-${scenario}-${runId}-${i}`;

interface Like {
  post: string;
  user: string;
}

/** The longest per-VU memory of own likes: enough to pick unlikes from, small enough not to matter. */
const LIKED_MAX = 1000;

/**
 * The iterations the k6 scenarios run: one arrival is one request (and, for a retried write, its replay). Module
 * state is per VU in k6 (each VU has its own JS runtime), which is what the unlike bookkeeping relies on.
 */
export function workload(s: Scenario, urls: readonly string[], tokens: TokenCache) {
  const w = s.workload;
  const cdf = zipfCdf(w.posts, w.posts > 1 ? w.zipfExponent : 0);
  const weights = w.mix.read + w.mix.like + w.mix.unlike;
  // Only this VU's own acknowledged likes are unliked: the (post, user) pair then has one writer, in order, so
  // the ledger's sequence for it is the order the API saw.
  const liked: Like[] = [];

  const elapsedS = (data: RunData) => (Date.now() - data.startMs) / 1000;
  const pickPost = (data: RunData) => postIdOf(s.name, data.runId, zipfPick(cdf));

  function pickUser(data: RunData): string {
    if (w.users === 'distinct') {
      // iterationInTest restarts in every k6 scenario: the phase's index keeps users of different phases apart.
      const phase = s.phases.findIndex((p) => p.name === exec.scenario.name);
      return `k6-${data.runId}-${phase}-${exec.scenario.iterationInTest}`;
    }
    return `k6-${data.runId}-u${Math.floor(Math.random() * w.users)}`;
  }

  function failed(data: RunData, slot: string): void {
    errors.add(1, { slot });
    errorAt.add(elapsedS(data), { slot });
  }

  function write(data: RunData, action: Action, like: Like, slot: string): boolean {
    // Only writes that will be retried carry a key: the others would make the API store keys nobody reuses.
    const retry = Math.random() < w.retryFraction;
    const key = retry ? `k6-${data.runId}-${exec.vu.idInTest}-${exec.vu.iterationInInstance}` : undefined;
    const url = postUrl(nextUrl(urls), like.post, '/like');
    const opts = {
      token: tokens.get(like.user),
      timeoutS: s.timeoutS,
      tags: { name: `${action === 'like' ? 'POST' : 'DELETE'} /api/posts/{id}/like`, slot },
      ...(key !== undefined ? { idempotencyKey: key } : {}),
    };
    const method = action === 'like' ? 'POST' : 'DELETE';
    const res = call(method, url, null, opts);
    const acknowledged = ok(res.status);
    check(res, { [`${action} acknowledged (2xx)`]: () => acknowledged });
    if (!acknowledged) {
      failed(data, slot);
      return false;
    }
    acked.add(1, { post: like.post, user: like.user, action });
    if (retry) {
      // The client retry of the idempotency contract: same key, so the same answer, marked as a replay.
      const again = call(method, url, null, { ...opts, tags: { ...opts.tags, retry: 'true' } });
      check(again, {
        'retry replayed (Idempotent-Replayed: true, same status)': (r) =>
          r.status === res.status && r.headers['Idempotent-Replayed'] === 'true',
      });
      if (!ok(again.status)) failed(data, slot);
    }
    return true;
  }

  function like(data: RunData, slot: string): void {
    const l = { post: pickPost(data), user: pickUser(data) };
    if (!write(data, 'like', l, slot) || w.users === 'distinct') return;
    if (liked.length < LIKED_MAX) liked.push(l);
    else liked[Math.floor(Math.random() * LIKED_MAX)] = l;
  }

  function unlike(data: RunData, slot: string): void {
    // Nothing of our own to unlike yet (early in the run): a like keeps the write rate the mix asks for.
    if (liked.length === 0) return like(data, slot);
    const i = Math.floor(Math.random() * liked.length);
    // Kept when not acknowledged: a later unlike of it can still be acknowledged and recorded.
    if (write(data, 'unlike', liked[i]!, slot)) liked.splice(i, 1);
  }

  function read(data: RunData, slot: string): void {
    const url = postUrl(nextUrl(urls), pickPost(data), '/count');
    const tags = { name: 'GET /api/posts/{id}/count', slot };
    const res = call('GET', url, null, { token: tokens.get(pickUser(data)), timeoutS: s.timeoutS, tags });
    check(res, { 'read 200': (r) => r.status === 200 });
    if (res.status !== 200) failed(data, slot);
  }

  return {
    regular(data: RunData): void {
      const slot = slotAt(s.chaos, elapsedS(data));
      const u = Math.random() * weights;
      if (u < w.mix.read) read(data, slot);
      else if (u < w.mix.read + w.mix.like) like(data, slot);
      else unlike(data, slot);
    },

    /** A bot: far over the per-user limit, so mostly 429s; the likes it does get acknowledged are ledger entries. */
    bot(data: RunData): void {
      const l = { post: pickPost(data), user: `bot-${exec.scenario.iterationInTest % w.bots.count}` };
      const url = postUrl(nextUrl(urls), l.post, '/like');
      const tags = { name: 'POST /api/posts/{id}/like', slot: slotAt(s.chaos, elapsedS(data)) };
      const res = call('POST', url, null, { token: tokens.get(l.user), timeoutS: s.timeoutS, tags, expect429: true });
      check(res, { 'bot answered 2xx or 429': (r) => ok(r.status) || r.status === 429 });
      if (ok(res.status)) acked.add(1, { post: l.post, user: l.user, action: 'like' });
    },
  };
}
