import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time per process group of a local stack, from /proc: for each pid file in $LIKEPIPE_STATE/run the process
 * and all its live descendants (the API's cluster workers, Postgres' backends), utime + stime + cutime + cstime
 * (the last two hold descendants that already exited and were waited for, so a backend that came and went
 * still counts). Differences between two samples give the CPU a stretch of load cost each group, which on a
 * shared, noisy machine is much steadier than requests per second.
 */
export type CpuSample = Map<string, number>;

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The group a pid file belongs to: `redis-7001` → redis, `kafka-2` → kafka, `like-api-b` → like-api. */
export function groupOf(pidName: string): string {
  if (pidName.startsWith('redis-')) return 'redis';
  if (pidName === 'kafka' || /^kafka-\d+$/.test(pidName)) return 'kafka';
  if (pidName.startsWith('like-api')) return 'like-api';
  return pidName;
}

interface Proc {
  ppid: number;
  ticks: number;
}

function readProcs(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
      out.set(Number(entry), {
        ppid: Number(f[1]),
        ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
      });
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/** CPU seconds so far per group (by default groupOf; per process with `(name) => name`), over `runDir`'s pid files. */
export function sampleCpu(runDir: string, group: (pidName: string) => string = groupOf): CpuSample {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const treeTicks = (root: number): number => {
    let total = 0;
    const stack = [root];
    while (stack.length) {
      const pid = stack.pop()!;
      total += procs.get(pid)?.ticks ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return total;
  };
  const out: CpuSample = new Map();
  for (const file of readdirSync(runDir)) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number(readFileSync(`${runDir}/${file}`, 'utf8').trim().split('\n')[0]);
    if (!procs.has(pid)) continue;
    const name = group(file.slice(0, -4));
    out.set(name, (out.get(name) ?? 0) + treeTicks(pid) / TICKS_PER_S);
  }
  return out;
}

/**
 * CPU microseconds per unit of work (`per`: likes or requests) per group between two samples. With `idle` (CPU
 * seconds per second per group with no load, from idleCpuRate) and the seconds between the samples, what the
 * group burns anyway (timers, metrics, consumer polls, JIT) is taken off first: at a light fixed rate that
 * background is most of a process's CPU, so the gross figure would mostly measure the rate, not the like.
 */
export function cpuMicrosPer(
  before: CpuSample,
  after: CpuSample,
  per: number,
  idle?: { rate: CpuSample; seconds: number },
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [group, s] of after) {
    const background = idle ? (idle.rate.get(group) ?? 0) * idle.seconds : 0;
    out[group] = (Math.max(0, s - (before.get(group) ?? 0) - background) * 1e6) / Math.max(1, per);
  }
  return out;
}

/** CPU seconds per second per group while nothing is offered, over `ms`. */
export async function idleCpuRate(runDir: string, ms: number): Promise<CpuSample> {
  const before = sampleCpu(runDir);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const after = sampleCpu(runDir);
  const seconds = (performance.now() - started) / 1000;
  return new Map([...after].map(([g, v]) => [g, (v - (before.get(g) ?? 0)) / seconds]));
}
