#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, createLogger, LikePipeError } from '@likepipe/contract';
import { loadConfig } from './config.js';
import { EventRecorder } from './controller/events.js';
import { LeaderElector } from './controller/leader-election.js';
import { LikePipelineController } from './controller/likepipeline-controller.js';
import { startHttpServer } from './http-server.js';
import { Applier } from './kube/apply.js';
import { isLeader } from './metrics.js';

/**
 * The operator process: leader election first, then (only while leading) informers and workers. Losing the
 * lease ends the process; Kubernetes restarts it as a follower, which is simpler and safer than unwinding.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({
    level: config.LIKEPIPE_LOG_LEVEL,
    fields: { component: 'likepipe-operator', id: config.LIKEPIPE_OPERATOR_ID },
  });
  const kc = new KubeConfig();
  // In a pod: its ServiceAccount. Elsewhere: KUBECONFIG or ~/.kube/config, as kubectl would. With neither,
  // nothing is loaded: client-node's own last resort, http://localhost:8080 without credentials, is never meant
  // (in the image that is the operator's own metrics port), so the check below says what is missing instead.
  if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) kc.loadFromCluster();
  else if (process.env.KUBECONFIG || existsSync(join(homedir(), '.kube', 'config'))) kc.loadFromDefault();
  const apiServer = kc.getCurrentCluster()?.server;
  if (!apiServer || !/^https?:\/\/./.test(apiServer)) {
    throw new ConfigError('no Kubernetes API to talk to: set KUBECONFIG, or run in a pod with a ServiceAccount');
  }
  log.info('using the Kubernetes API', { server: apiServer, context: kc.getCurrentContext() });

  const controller = new LikePipelineController(
    kc,
    new Applier(kc),
    new EventRecorder(kc, config.LIKEPIPE_OPERATOR_ID, log),
    log,
    {
      ...(config.LIKEPIPE_WATCH_NAMESPACE ? { watchNamespace: config.LIKEPIPE_WATCH_NAMESPACE } : {}),
      workers: config.LIKEPIPE_WORKERS,
      resyncMs: config.LIKEPIPE_RESYNC_MS,
      watchdogMs: config.LIKEPIPE_WATCHDOG_MS,
      problemRequeueMs: config.LIKEPIPE_PROBLEM_REQUEUE_MS,
      backoff: { baseMs: config.LIKEPIPE_BACKOFF_BASE_MS, maxMs: config.LIKEPIPE_BACKOFF_MAX_MS },
    },
  );
  let started = false;
  let standingBy = true;
  const server = await startHttpServer(
    config.LIKEPIPE_OPERATOR_HOST,
    config.LIKEPIPE_OPERATOR_PORT,
    () => started || standingBy,
  );
  log.info('listening', { host: config.LIKEPIPE_OPERATOR_HOST, port: config.LIKEPIPE_OPERATOR_PORT });

  const lead = () => {
    standingBy = false;
    isLeader.set(1);
    controller.start().then(
      () => {
        started = true;
      },
      (err: unknown) => {
        log.error('controller failed to start', { err: (err as Error).message });
        process.exit(1);
      },
    );
  };
  let elector: LeaderElector | undefined;
  if (config.LIKEPIPE_LEADER_ELECTION) {
    elector = new LeaderElector(
      kc,
      {
        namespace: config.leaseNamespace,
        name: config.LIKEPIPE_LEASE_NAME,
        identity: config.LIKEPIPE_OPERATOR_ID,
        leaseDurationMs: config.LIKEPIPE_LEASE_DURATION_MS,
        renewDeadlineMs: config.LIKEPIPE_RENEW_DEADLINE_MS,
        retryPeriodMs: config.LIKEPIPE_RETRY_PERIOD_MS,
      },
      log,
      {
        onStartedLeading: lead,
        onStoppedLeading: () => {
          isLeader.set(0);
          log.error('lost leadership, exiting');
          process.exit(1);
        },
      },
    );
    log.info('waiting for the leader lease', { lease: `${config.leaseNamespace}/${config.LIKEPIPE_LEASE_NAME}` });
    elector.start();
  } else lead();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    await controller.stop().catch(() => undefined);
    await elector?.stop();
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Errors raised on purpose say what went wrong in their message; anything else gets its stack.
  if (err instanceof LikePipeError) process.stderr.write(`likepipe-operator: ${err.message}\n`);
  else process.stderr.write(`likepipe-operator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
