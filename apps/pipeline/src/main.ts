#!/usr/bin/env node
import {
  ConfigError,
  loadAnalyticsConfig,
  loadApiConfig,
  loadEnsureTopicConfig,
  loadFeedRankerConfig,
  loadMigrateConfig,
  loadNotifierConfig,
  loadReconcilerConfig,
  loadRedisKeeperConfig,
  loadTruthWriterConfig,
} from './config.js';
import { createLogger } from './observability/logger.js';
import { migrateUp } from './postgres/migrate.js';
import { EnsureTopicError, runEnsureTopic } from './roles/ensure-topic.js';
import { runAnalytics } from './roles/analytics.js';
import { runFeedRanker } from './roles/feed-ranker.js';
import { runLikeApi } from './roles/like-api.js';
import { runNotifier } from './roles/notifier.js';
import { runReconciler } from './roles/reconciler.js';
import { KeeperActionError, runRedisClusterKeeper } from './roles/redis-cluster-keeper.js';
import { runTruthWriter } from './roles/truth-writer.js';

// kafkajs 2.2.4 computes a negative delay in its request queue on Node >= 23 and Node clamps it to 1 ms:
// harmless, but it would print a TimeoutNegativeWarning from every process. Other warnings still print.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name === 'TimeoutNegativeWarning') return;
  process.stderr.write(`${w.name}: ${w.message}\n`);
});

/** One image, several roles, chosen by the first argument. */
const ROLES = {
  'like-api': async () => {
    const c = loadApiConfig();
    await runLikeApi(c, createLogger('like-api', c.LIKEPIPE_LOG_LEVEL));
  },
  'truth-writer': async () => {
    const c = loadTruthWriterConfig();
    await runTruthWriter(c, createLogger('truth-writer', c.LIKEPIPE_LOG_LEVEL));
  },
  analytics: async () => {
    const c = loadAnalyticsConfig();
    await runAnalytics(c, createLogger('analytics', c.LIKEPIPE_LOG_LEVEL));
  },
  notifier: async () => {
    const c = loadNotifierConfig();
    await runNotifier(c, createLogger('notifier', c.LIKEPIPE_LOG_LEVEL));
  },
  'feed-ranker': async () => {
    const c = loadFeedRankerConfig();
    await runFeedRanker(c, createLogger('feed-ranker', c.LIKEPIPE_LOG_LEVEL));
  },
  reconciler: async () => {
    const c = loadReconcilerConfig();
    await runReconciler(c, createLogger('reconciler', c.LIKEPIPE_LOG_LEVEL));
  },
  migrate: async () => {
    const c = loadMigrateConfig();
    const log = createLogger('migrate');
    await migrateUp(c.DATABASE_URL, (msg) => log.info(msg));
  },
  'ensure-topic': async () => {
    const c = loadEnsureTopicConfig();
    await runEnsureTopic(c, createLogger('ensure-topic', c.LIKEPIPE_LOG_LEVEL));
  },
  'redis-cluster-keeper': async () => {
    const c = loadRedisKeeperConfig();
    await runRedisClusterKeeper(c, createLogger('redis-cluster-keeper', c.LIKEPIPE_LOG_LEVEL));
  },
} as const;

const role = process.argv[2];
if (!role || !(role in ROLES)) {
  process.stderr.write(`usage: likepipe <${Object.keys(ROLES).join('|')}>\n`);
  process.exit(2);
}
ROLES[role as keyof typeof ROLES]().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    // Errors we raise on purpose already say what went wrong; a stack trace would only bury it.
    if (err instanceof ConfigError || err instanceof EnsureTopicError || err instanceof KeeperActionError)
      process.stderr.write(`likepipe ${role}: ${err.message}\n`);
    else process.stderr.write(`likepipe ${role}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
