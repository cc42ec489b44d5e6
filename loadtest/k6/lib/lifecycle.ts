import http from 'k6/http';
import { sleep } from 'k6';
import { nextUrl, postUrl } from './api.ts';
import type { TokenCache } from './jwt.ts';
import type { Plan } from './plan.ts';
import type { Scenario } from './scenario.ts';
import { textSummary, type SummaryData } from './summary.ts';
import { postIdOf, type RunData } from './workload.ts';

/** setup(), teardown() and handleSummary() of a scenario's script. */

const CHUNK = 50;
const QUIET_POLL_S = 5;
const QUIET_MAX_S = 120;

export function lifecycle(s: Scenario, plan: Plan, urls: readonly string[], tokens: TokenCache) {
  const ids = (runId: string) => Array.from({ length: s.workload.posts }, (_, i) => postIdOf(s.name, runId, i));
  const token = (runId: string) => tokens.get(`k6-${runId}-operator`);

  /** GET /api/posts/{id} for every post: the like count the API shows now, in chunks of parallel requests. */
  function counts(runId: string): number[] {
    const all = ids(runId);
    const out: number[] = [];
    for (let i = 0; i < all.length; i += CHUNK) {
      const batch = all.slice(i, i + CHUNK).map((id) => ({
        method: 'GET',
        url: postUrl(nextUrl(urls), id),
        params: {
          headers: { Authorization: `Bearer ${token(runId)}` },
          responseType: 'text' as const,
          timeout: `${s.timeoutS}s`,
          tags: { name: 'teardown: GET /api/posts/{id}' },
        },
      }));
      for (const res of http.batch(batch)) {
        const body = res.status === 200 ? (res.json() as { likeCount?: unknown }) : {};
        out.push(typeof body.likeCount === 'number' ? body.likeCount : NaN);
      }
    }
    return out;
  }

  return {
    setup(): RunData {
      const runId = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
      const all = ids(runId);
      for (let i = 0; i < all.length; i += CHUNK) {
        const batch = all.slice(i, i + CHUNK).map((id) => ({
          method: 'POST',
          url: `${nextUrl(urls)}/api/posts`,
          body: JSON.stringify({ id }),
          params: {
            headers: { Authorization: `Bearer ${token(runId)}`, 'Content-Type': 'application/json' },
            responseType: 'text' as const,
            timeout: `${s.timeoutS}s`,
            tags: { name: 'setup: POST /api/posts' },
          },
        }));
        http.batch(batch).forEach((res, j) => {
          if (res.status !== 201) {
            throw new Error(`creating post ${all[i + j]} answered ${res.status}: ${String(res.body ?? res.error)}`);
          }
        });
      }
      const startMs = Date.now();
      const at = (offsetS: number) => new Date(startMs + offsetS * 1000).toISOString().slice(11, 19);
      const lines = [
        `${s.name} (${s.profile}): run ${runId}, ${all.length} post(s) created, against ${urls.join(', ')}`,
        ...plan.phases.map(
          (p) => `  phase ${p.name} (${p.kind}): ${at(p.startS)} UTC for ${p.durationS} s, up to ${p.peakRate}/s`,
        ),
      ];
      if (s.chaos.length > 0) {
        // k6 cannot break the stack from here: the SRE injects each fault with their own tools on this schedule.
        lines.push('  CHAOS SCHEDULE: inject these faults yourself (kubectl delete pod, Chaos Mesh, systemctl, …):');
        for (const c of s.chaos) {
          lines.push(
            `    ${at(c.atS)} UTC (T+${c.atS} s): ${c.fault}; bring it back at ${at(c.atS + c.recoverAfterS)} UTC ` +
              `(T+${c.atS + c.recoverAfterS} s); errors allowed for ${c.maxErrorWindowS} s`,
          );
        }
      }
      console.log(lines.join('\n'));
      return { runId, startMs };
    },

    /** Waits until the pipeline is quiet (counts unchanged over a poll interval), then prints them. */
    teardown(data: RunData): void {
      const began = Date.now();
      let previous = counts(data.runId);
      let quiet = false;
      while (!quiet && (Date.now() - began) / 1000 + QUIET_POLL_S <= QUIET_MAX_S) {
        sleep(QUIET_POLL_S);
        const current = counts(data.runId);
        // Object.is: a post that could not be read (NaN) twice in a row is as settled as the rest can make it.
        quiet = current.every((c, i) => Object.is(c, previous[i]));
        previous = current;
      }
      const waited = Math.round((Date.now() - began) / 1000);
      const all = ids(data.runId);
      const byCount = all.map((id, i) => ({ id, count: previous[i]! })).sort((a, b) => b.count - a.count);
      const total = byCount.reduce((t, p) => t + (Number.isNaN(p.count) ? 0 : p.count), 0);
      const unreadable = byCount.filter((p) => Number.isNaN(p.count)).length;
      console.log(
        [
          quiet
            ? `pipeline quiet after ${waited} s: counts unchanged over ${QUIET_POLL_S} s`
            : `pipeline NOT quiet after ${waited} s: counts still moving; the audit may see acks not yet in the truth`,
          `final like counts: ${total} over ${all.length} post(s)${unreadable > 0 ? `, ${unreadable} unreadable` : ''}`,
          ...byCount.slice(0, 10).map((p) => `  ${p.id}: ${p.count}`),
          ...(all.length > 10 ? [`  … ${all.length - 10} more`] : []),
          'audit the acknowledged actions against Postgres with the ledger this run wrote (--out json=<file>):',
          '  npm run loadtest -- audit --k6-ledger ledger.json',
        ].join('\n'),
      );
    },

    handleSummary(data: SummaryData): Record<string, string> {
      return {
        [`loadtest/results/k6-${s.name}-summary.json`]: JSON.stringify(data),
        stdout: textSummary(s, data),
      };
    },
  };
}
