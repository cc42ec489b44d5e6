import CircuitBreaker from 'opossum';
import { breakerState } from '../observability/metrics.js';

/**
 * Circuit breakers (opossum) around Redis and Kafka. When a dependency keeps failing, calls fail fast instead of
 * piling up behind timeouts, and the breaker probes it again after `resetTimeoutMs`.
 */
export interface BreakerOptions {
  name: string;
  /** false when the client enforces its own timeout (ioredis commandTimeout): saves a timer per call. */
  timeoutMs: number | false;
  errorThresholdPercentage?: number;
  resetTimeoutMs?: number;
  volumeThreshold?: number;
  /** Errors that say nothing about the dependency's health (e.g. a Lua script's own error) are not counted. */
  isHealthyError?: (err: unknown) => boolean;
}

export type Breaker = CircuitBreaker<[() => Promise<unknown>], unknown>;

export function createBreaker(opts: BreakerOptions): Breaker {
  const breaker = new CircuitBreaker(async (fn: () => Promise<unknown>) => fn(), {
    name: opts.name,
    timeout: opts.timeoutMs,
    errorThresholdPercentage: opts.errorThresholdPercentage ?? 50,
    resetTimeout: opts.resetTimeoutMs ?? 2_000,
    volumeThreshold: opts.volumeThreshold ?? 10,
    rollingCountTimeout: 10_000,
    ...(opts.isHealthyError ? { errorFilter: opts.isHealthyError } : {}),
  });
  const set = (v: number) => breakerState.set({ breaker: opts.name }, v);
  set(0);
  breaker.on('open', () => set(2));
  breaker.on('halfOpen', () => set(1));
  breaker.on('close', () => set(0));
  return breaker;
}

export function fire<T>(breaker: Breaker, fn: () => Promise<T>): Promise<T> {
  return breaker.fire(fn) as Promise<T>;
}
