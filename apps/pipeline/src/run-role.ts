import { isRole, LikePipeError, ROLES as ROLE_NAMES, type Role } from '@likepipe/contract';
import {
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
import { runEnsureTopic } from './roles/ensure-topic.js';
import { runAnalytics } from './roles/analytics.js';
import { runFeedRanker } from './roles/feed-ranker.js';
import { runLikeApi } from './roles/like-api.js';
import { runNotifier } from './roles/notifier.js';
import { runReconciler } from './roles/reconciler.js';
import { runRedisClusterKeeper } from './roles/redis-cluster-keeper.js';
import { runTruthWriter } from './roles/truth-writer.js';

/** One image, several roles, chosen by the first argument: one entry per role of the contract, no more, no less. */
const ROLES: Record<Role, () => Promise<void>> = {
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
};

/**
 * Runs `role` until it stops, then exits. `beforeExit` (the tracing flush) runs on every way out but a usage
 * error, so the spans of a failed start are exported too.
 */
export async function runRole(role: string | undefined, beforeExit: () => Promise<void>): Promise<never> {
  if (!role || !isRole(role)) {
    process.stderr.write(`usage: likepipe <${ROLE_NAMES.join('|')}>\n`);
    process.exit(2);
  }
  let code: number;
  try {
    await ROLES[role]();
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    // Errors we raise on purpose already say what went wrong; a stack trace would only bury it.
    if (err instanceof LikePipeError) process.stderr.write(`likepipe ${role}: ${err.message}\n`);
    else process.stderr.write(`likepipe ${role}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    code = 1;
  }
  await beforeExit();
  process.exit(code);
}
