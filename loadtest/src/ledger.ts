import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export type Action = 'like' | 'unlike';

/**
 * Every like and unlike the API acknowledged (2xx, 202 included), in the order the answers came. The audit
 * holds Postgres to it. It is written as NDJSON in the shape of k6's JSON output (a `Point` of the metric
 * `loadtest_acked` tagged post, user and action), so the k6 scripts' `--out json=…` file is a ledger too
 * and one audit reads both.
 */
export const LEDGER_METRIC = 'loadtest_acked';

export class Ledger {
  /** Last acknowledged action per `post\0user`. A run never has two actions of one pair in flight at once. */
  private readonly last = new Map<string, Action>();
  likes = 0;
  unlikes = 0;
  private out: WriteStream | undefined;

  constructor(file?: string) {
    if (file) this.out = createWriteStream(file);
  }

  ack(action: Action, postId: string, userId: string, at = new Date()): void {
    this.last.set(`${postId}\0${userId}`, action);
    if (action === 'like') this.likes++;
    else this.unlikes++;
    this.out?.write(
      `${JSON.stringify({
        type: 'Point',
        metric: LEDGER_METRIC,
        data: { time: at.toISOString(), value: 1, tags: { post: postId, user: userId, action } },
      })}\n`,
    );
  }

  /** Per post, the users whose last acknowledged action is `action`. */
  finalState(action: Action): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [pair, a] of this.last) {
      if (a !== action) continue;
      const [post, user] = pair.split('\0') as [string, string];
      let users = out.get(post);
      if (!users) out.set(post, (users = new Set()));
      users.add(user);
    }
    return out;
  }

  posts(): Set<string> {
    return new Set([...this.last.keys()].map((k) => k.slice(0, k.indexOf('\0'))));
  }

  async close(): Promise<void> {
    const out = this.out;
    if (!out) return;
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }

  /** Reads a ledger file: ours, or k6's `--out json` output (lines of other metrics are skipped). */
  static async read(file: string): Promise<Ledger> {
    const points: { at: Date; action: Action; post: string; user: string }[] = [];
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (!line.includes(LEDGER_METRIC)) continue;
      let point: { type?: string; metric?: string; data?: { time?: string; tags?: Record<string, string> } };
      try {
        point = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${n}: not JSON`);
      }
      if (point.type !== 'Point' || point.metric !== LEDGER_METRIC) continue;
      const tags = point.data?.tags ?? {};
      if (!tags.post || !tags.user || (tags.action !== 'like' && tags.action !== 'unlike')) {
        throw new Error(`${file}:${n}: a ${LEDGER_METRIC} point needs tags post, user and action (like|unlike)`);
      }
      points.push({ at: new Date(point.data?.time ?? 0), action: tags.action, post: tags.post, user: tags.user });
    }
    // k6 writes points as its outputs flush, not strictly in time order; a pair's like and unlike must replay
    // in the order they were answered.
    points.sort((a, b) => a.at.getTime() - b.at.getTime());
    const ledger = new Ledger();
    for (const p of points) ledger.ack(p.action, p.post, p.user, p.at);
    return ledger;
  }
}
