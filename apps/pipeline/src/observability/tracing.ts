import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { createLogger } from './logger.js';

/**
 * OpenTelemetry for every role, configured only by the standard OTEL_* variables.
 *
 * Tracing is OFF unless an exporter is asked for: OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER (and OTEL_SDK_DISABLED is not true). The SDK's
 * own default would export to localhost:4318 whether or not anything listens there; here, with nothing
 * configured the SDK is not even loaded, the instrumentations never patch express/ioredis/pg, and the like
 * path pays one boolean check (see `tracingOn`) instead of a span, a context switch and a header per like.
 *
 * This module must run before express, ioredis and pg are loaded (main.ts starts it, then imports the roles):
 * the code is ESM, and an ESM `import` of those CommonJS packages does not go through `require`, so the
 * instrumentations' require hooks alone would miss them. An import-in-the-middle loader hook, limited to the
 * packages we instrument, hands their ESM namespaces to the instrumentations.
 */

export interface Tracing {
  readonly enabled: boolean;
  /** Exports the spans still buffered; bounded, so a dead collector cannot hold up the exit. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: () => Promise.resolve() };
let enabled = false;

/** Cheap guard for hot paths: false when no SDK runs, so nothing is allocated for spans or headers. */
export function tracingOn(): boolean {
  return enabled;
}

/** Packages imported from our ESM code whose exports the instrumentations patch (see the module comment). */
const HOOKED_PACKAGES = ['express', 'ioredis', 'pg'];
/** Probe and scrape endpoints: a span per kubelet probe or Prometheus scrape would bury the real traffic. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  if ((env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase() === 'none') return false;
  return set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') || set('OTEL_TRACES_EXPORTER');
}

/** `likepipe-<role>` unless OTEL_SERVICE_NAME or a service.name in OTEL_RESOURCE_ATTRIBUTES says otherwise. */
export function defaultServiceName(role: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ((env.OTEL_SERVICE_NAME ?? '').trim() !== '') return undefined;
  if (/(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '')) return undefined;
  return `likepipe-${role}`;
}

/**
 * Starts the SDK for `role` when tracing is requested. The like-API's cluster primary only supervises its
 * workers (each worker starts its own SDK), so it stays untraced.
 */
export async function startTracing(role: string): Promise<Tracing> {
  if (!tracingRequested()) return OFF;
  if (role === 'like-api' && cluster.isPrimary && apiWorkers() > 1) return OFF;

  await installEsmHook();
  const [{ NodeSDK }, { HttpInstrumentation }, express, { IORedisInstrumentation }, { PgInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-express'),
      import('@opentelemetry/instrumentation-ioredis'),
      import('@opentelemetry/instrumentation-pg'),
    ]);
  const serviceName = defaultServiceName(role);
  const sdk = new NodeSDK({
    ...(serviceName ? { serviceName } : {}),
    // Traces only: metrics stay with prom-client's /metrics, logs with stdout. (Left to the environment, the
    // SDK would also start OTLP metric and log exporters.)
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0]!),
        // Outgoing HTTP only inside a trace (never a new trace per background call).
        requireParentforOutgoingSpans: true,
      }),
      // Routers and handlers, not every middleware; the router layer still names the server span by route.
      new express.ExpressInstrumentation({ ignoreLayersType: [express.ExpressLayerType.MIDDLEWARE] }),
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: redisStatement }),
      // Background queries (migrations, lag polls) only when they belong to a traced unit of work.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  // The SDK writes its own diagnostics to the console when OTEL_LOG_LEVEL is set; keep them JSON lines.
  const level = otelLogLevel(process.env.OTEL_LOG_LEVEL);
  if (level !== undefined) diag.setLogger(jsonDiagLogger(role), { logLevel: level, suppressOverrideMessage: true });
  sdk.start();
  enabled = true;
  let done: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () =>
      (done ??= Promise.race([
        sdk.shutdown().catch(() => undefined),
        new Promise<void>((r) => setTimeout(r, 5_000).unref()),
      ])),
  };
}

async function installEsmHook(): Promise<void> {
  const iitm = await import('import-in-the-middle/register-hooks.mjs');
  // In-thread hooks where Node supports them; otherwise the off-thread loader (same include list).
  if (iitm.supportsSyncHooks()) {
    iitm.register({ include: HOOKED_PACKAGES });
    return;
  }
  const { register } = await import('node:module');
  register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: HOOKED_PACKAGES } });
}

function apiWorkers(): number {
  const n = Number(process.env.LIKEPIPE_API_WORKERS);
  return Number.isInteger(n) && n > 0 ? n : availableParallelism();
}

/** The command and its keys; a script's ARGV (user ids, stored responses) stays out of the span. */
function redisStatement(cmdName: string, args: unknown[]): string {
  const name = cmdName.toLowerCase();
  if ((name === 'evalsha' || name === 'eval') && args.length >= 2) {
    const keys = Number(args[1]);
    return [cmdName, ...args.slice(0, 2 + (Number.isInteger(keys) ? keys : 0)).map(String)].join(' ');
  }
  return args.length > 0 ? `${cmdName} ${String(args[0])}` : cmdName;
}

function otelLogLevel(v: string | undefined): DiagLogLevel | undefined {
  const key = (v ?? '').trim().toUpperCase();
  if (key === '') return undefined;
  return (DiagLogLevel as unknown as Record<string, DiagLogLevel>)[key] ?? DiagLogLevel.INFO;
}

function jsonDiagLogger(role: string): DiagLogger {
  const log = createLogger(role, 'debug');
  const fmt = (msg: string, args: unknown[]) =>
    args.length === 0
      ? { component: 'opentelemetry' }
      : { component: 'opentelemetry', args: args.map((a) => (a instanceof Error ? a.message : a)) };
  return {
    error: (m, ...a) => log.error(m, fmt(m, a)),
    warn: (m, ...a) => log.warn(m, fmt(m, a)),
    info: (m, ...a) => log.info(m, fmt(m, a)),
    debug: (m, ...a) => log.debug(m, fmt(m, a)),
    verbose: (m, ...a) => log.debug(m, fmt(m, a)),
  };
}
