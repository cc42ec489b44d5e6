import { PROCESS_METRICS as P, SCRAPE_LABELS } from '@likepipe/contract';
import { dashboard, sel, sumRate, timeseries } from './helpers.js';

/**
 * The Node.js processes behind every role: CPU, memory, event loop and GC, per role and instance, to tell a
 * role that is starved or leaking from one that is slow because of what it waits on.
 */
export const PROCESSES_UID = 'likepipe-processes';

const { role, instance } = SCRAPE_LABELS;
const BY = `${role}, ${instance}`;
const LEGEND = `{{${role}}} {{${instance}}}`;
const ROLE = `${role}=~"$role"`;
/** prom-client's GC metric is a histogram; its _sum is the time spent collecting. */
const GC_SUM = `${P.gcDuration}_sum`;

export const processes = () =>
  dashboard({
    uid: PROCESSES_UID,
    title: 'LikePipeline / Processes',
    description:
      'CPU, resident memory, heap, event-loop lag and GC time of every pipeline process, by role and instance.',
    tags: ['processes', 'nodejs'],
    roleVariable: true,
    sections: [
      {
        row: 'CPU and memory',
        panels: [
          timeseries({
            title: 'CPU per process',
            description:
              'CPU time per second of each process (100 % = one core; Node.js runs JavaScript on one core). Bad: ' +
              'near 100 % for long: the process is CPU-bound, its event loop lags and latency grows; scale the ' +
              'role out or check the pod CPU limit (throttling shows here as a flat ceiling below 100 %).',
            unit: 'percentunit',
            w: 12,
            min: 0,
            warn: 0.7,
            bad: 0.9,
            queries: [{ expr: sumRate(sel(P.cpuSeconds, ROLE), BY), legend: LEGEND }],
          }),
          timeseries({
            title: 'Resident memory per process',
            description:
              'Resident set size of each process. Bad: climbing without levelling off (a leak) or near the pod ' +
              'memory limit (the kernel kills it: OOMKilled restarts).',
            unit: 'bytes',
            w: 12,
            min: 0,
            queries: [{ expr: `sum by (${BY}) (${sel(P.residentMemory, ROLE)})`, legend: LEGEND }],
          }),
        ],
      },
      {
        row: 'V8: heap, event loop, GC',
        panels: [
          timeseries({
            title: 'Heap used per process',
            description:
              'V8 heap in use. Bad: a saw-tooth whose lows keep rising (objects retained: a leak), or close to ' +
              'the heap limit (long GC pauses, then an out-of-memory crash).',
            unit: 'bytes',
            w: 8,
            min: 0,
            queries: [{ expr: `sum by (${BY}) (${sel(P.heapUsed, ROLE)})`, legend: LEGEND }],
          }),
          timeseries({
            title: 'Event-loop lag p99',
            description:
              "p99 delay of the event loop (prom-client's monitor): every request and callback on that process " +
              'waits this long on top of its own work. Bad: above 50 ms (CPU saturation, a synchronous hot spot, ' +
              'long GC).',
            unit: 's',
            w: 8,
            min: 0,
            warn: 0.05,
            bad: 0.2,
            queries: [{ expr: `max by (${BY}) (${sel(P.eventLoopLagP99, ROLE)})`, legend: LEGEND }],
          }),
          timeseries({
            title: 'Time in GC',
            description:
              'Share of wall-clock time each process spends in garbage collection. Bad: above 10 % (allocation ' +
              'pressure or a heap near its limit; the event loop stalls meanwhile).',
            unit: 'percentunit',
            w: 8,
            min: 0,
            warn: 0.05,
            bad: 0.1,
            queries: [{ expr: sumRate(sel(GC_SUM, ROLE), BY), legend: LEGEND }],
          }),
        ],
      },
    ],
  });
