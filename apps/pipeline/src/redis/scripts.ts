import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/**
 * Lua scripts live in apps/pipeline/lua/*.lua (one file each, header states KEYS/ARGV/returns). They are read
 * once at start and registered with ioredis, which sends EVALSHA and falls back to EVAL after a node restart
 * or failover has emptied the script cache.
 */
const LUA_DIR = new URL('../../lua/', import.meta.url);

// A fixed key count per script lets ioredis route each call (and group auto-pipelined calls) by slot.
const SCRIPTS = {
  userAdmit: { file: 'user-admit.lua', keys: 2 },
  userRelease: { file: 'user-release.lua', keys: 2 },
  userComplete: { file: 'user-complete.lua', keys: 1 },
  postApply: { file: 'post-apply.lua', keys: 2 },
  postRevert: { file: 'post-revert.lua', keys: 2 },
  postRead: { file: 'post-read.lua', keys: 2 },
  postInstall: { file: 'post-install.lua', keys: 3 },
  postSplit: { file: 'post-split.lua', keys: 2 },
  shardApply: { file: 'shard-apply.lua', keys: 4 },
  shardFence: { file: 'shard-fence.lua', keys: 4 },
  shardSeeded: { file: 'shard-seeded.lua', keys: 2 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

type ScriptFn = (...keysThenArgs: (string | number)[]) => Promise<unknown>;
export type WithScripts<T> = T & { [K in ScriptName]: ScriptFn };

export function registerScripts<T extends Cluster | Redis>(client: T): WithScripts<T> {
  for (const [name, { file, keys }] of Object.entries(SCRIPTS)) {
    client.defineCommand(name, { numberOfKeys: keys, lua: readFileSync(new URL(file, LUA_DIR), 'utf8') });
  }
  return client as WithScripts<T>;
}
