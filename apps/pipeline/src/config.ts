import { loadRoleConfig, type RoleConfig } from '@likepipe/contract';

/**
 * Each role's configuration, parsed once at start from the environment with the contract's schemas
 * (packages/contract/src/role-env.ts: names, defaults, bounds). A bad value stops the process with a
 * ConfigError naming the variable; secrets are never echoed.
 */
export { ConfigError } from '@likepipe/contract';

export const loadApiConfig = (env = process.env) => loadRoleConfig('like-api', env);
export const loadTruthWriterConfig = (env = process.env) => loadRoleConfig('truth-writer', env);
export const loadReconcilerConfig = (env = process.env) => loadRoleConfig('reconciler', env);
export const loadAnalyticsConfig = (env = process.env) => loadRoleConfig('analytics', env);
export const loadNotifierConfig = (env = process.env) => loadRoleConfig('notifier', env);
export const loadFeedRankerConfig = (env = process.env) => loadRoleConfig('feed-ranker', env);
export const loadMigrateConfig = (env = process.env) => loadRoleConfig('migrate', env);
export const loadEnsureTopicConfig = (env = process.env) => loadRoleConfig('ensure-topic', env);
export const loadRedisKeeperConfig = (env = process.env) => loadRoleConfig('redis-cluster-keeper', env);

export type ApiConfig = RoleConfig<'like-api'>;
export type TruthWriterConfig = RoleConfig<'truth-writer'>;
export type ReconcilerConfig = RoleConfig<'reconciler'>;
export type AnalyticsConfig = RoleConfig<'analytics'>;
export type NotifierConfig = RoleConfig<'notifier'>;
export type FeedRankerConfig = RoleConfig<'feed-ranker'>;
export type EnsureTopicConfig = RoleConfig<'ensure-topic'>;
export type RedisKeeperConfig = RoleConfig<'redis-cluster-keeper'>;
