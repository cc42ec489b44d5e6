import type { Latency, PhaseSummary, Second } from './summary.js';

/** How one arrival ended. `expected`: a bot's 429, which the scenario asks for. */
export type Outcome = 'ok' | 'error' | 'expected';

interface Bucket {
  offered: number;
  ok: number;
  errors: number;
  dropped: number;
  statuses: Record<string, number>;
  latencies: number[];
  inFlight: number;
}

interface PhaseStats {
  name: string;
  kind: PhaseSummary['kind'];
  rate: number;
  startMs: number;
  endMs: number;
  arrivals: number;
  ok: number;
  errors: number;
  expected: number;
  dropped: number;
  latencies: number[];
}

export interface ErrorEvent {
  /** When the answer (or its absence) was seen, ms since the start. */
  doneMs: number;
  status: string;
}

/**
 * Every arrival's fate, bucketed by the second it was due and by phase. Latency is from when the request was
 * due, not when it was sent, so time spent queued behind a stall is counted (no coordinated omission).
 */
export class Recorder {
  private readonly seconds: Bucket[] = [];
  private readonly phases = new Map<string, PhaseStats>();
  readonly errors: ErrorEvent[] = [];

  private bucket(ms: number): Bucket {
    const s = Math.max(0, Math.floor(ms / 1000));
    for (let i = this.seconds.length; i <= s; i++) {
      this.seconds.push({ offered: 0, ok: 0, errors: 0, dropped: 0, statuses: {}, latencies: [], inFlight: 0 });
    }
    return this.seconds[s]!;
  }

  beginPhase(name: string, kind: PhaseSummary['kind'], rate: number, startMs: number): void {
    this.phases.set(name, {
      name,
      kind,
      rate,
      startMs,
      endMs: startMs,
      arrivals: 0,
      ok: 0,
      errors: 0,
      expected: 0,
      dropped: 0,
      latencies: [],
    });
  }

  endPhase(name: string, endMs: number): void {
    this.phases.get(name)!.endMs = endMs;
  }

  arrival(phase: string, dueMs: number): void {
    this.bucket(dueMs).offered++;
    this.phases.get(phase)!.arrivals++;
  }

  dropped(phase: string, dueMs: number): void {
    this.bucket(dueMs).dropped++;
    this.phases.get(phase)!.dropped++;
  }

  done(phase: string, dueMs: number, doneMs: number, status: string, outcome: Outcome): void {
    const b = this.bucket(dueMs);
    const p = this.phases.get(phase)!;
    const latency = doneMs - dueMs;
    b.statuses[status] = (b.statuses[status] ?? 0) + 1;
    b.latencies.push(latency);
    p.latencies.push(latency);
    if (outcome === 'ok') {
      b.ok++;
      p.ok++;
    } else if (outcome === 'expected') {
      p.expected++;
    } else {
      b.errors++;
      p.errors++;
      this.errors.push({ doneMs, status });
    }
  }

  inFlight(atMs: number, n: number): void {
    const b = this.bucket(atMs);
    b.inFlight = Math.max(b.inFlight, n);
  }

  /** A phase's figures so far (the steps phase judges each step on this before the next one ends). */
  phase(name: string): PhaseSummary {
    const p = this.phases.get(name)!;
    const durationS = Math.max(0.001, (p.endMs - p.startMs) / 1000);
    return {
      name: p.name,
      kind: p.kind,
      rate: p.rate,
      startS: p.startMs / 1000,
      endS: p.endMs / 1000,
      arrivals: p.arrivals,
      ok: p.ok,
      errors: p.errors,
      expectedRejections: p.expected,
      dropped: p.dropped,
      achievedRate: p.ok / durationS,
      latency: latencyOf(p.latencies),
    };
  }

  phaseSummaries(): PhaseSummary[] {
    return [...this.phases.keys()].map((n) => this.phase(n));
  }

  timeline(): Second[] {
    return this.seconds.map((b, t) => ({
      t,
      offered: b.offered,
      ok: b.ok,
      errors: b.errors,
      dropped: b.dropped,
      statuses: b.statuses,
      latency: b.latencies.length ? latencyOf(b.latencies) : null,
      inFlight: b.inFlight,
    }));
  }
}

export function latencyOf(values: number[]): Latency {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]! };
}
