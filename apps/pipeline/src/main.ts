#!/usr/bin/env node
import { startTracing } from './observability/tracing.js';

/**
 * The entry point of the one image: `likepipe <role>`. Tracing starts first and the roles are imported only
 * afterwards, so the OpenTelemetry instrumentations are in place before express, ioredis and pg load (see
 * observability/tracing.ts). Nothing else may be imported statically here.
 */

const role = process.argv[2];
// Tracing is an aid, never a reason not to run: if the SDK cannot start, the role runs untraced.
const tracing = await startTracing(role ?? '').catch((err: unknown) => {
  process.stderr.write(`likepipe ${role}: tracing disabled, the OpenTelemetry SDK did not start: ${String(err)}\n`);
  return { enabled: false, shutdown: () => Promise.resolve() };
});
const { runRole } = await import('./run-role.js');
await runRole(role, () => tracing.shutdown());
