import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/**
 * Lua scripts live in apps/pipeline/lua/*.lua (one file each, header states KEYS/ARGV/returns). They are read
 * once at start and registered with ioredis, which sends EVALSHA and falls back to EVAL after a node restart
 * or failover has emptied the script cache.
 */
const LUA_DIR = new URL('../../lua/', import.meta.url);

const SCRIPTS = {
  userAdmit: 'user-admit.lua',
  userRelease: 'user-release.lua',
  userComplete: 'user-complete.lua',
  postApply: 'post-apply.lua',
  postRevert: 'post-revert.lua',
  postRead: 'post-read.lua',
  postInstall: 'post-install.lua',
} as const;

export type ScriptName = keyof typeof SCRIPTS;

type ScriptFn = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;
export type WithScripts<T> = T & { [K in ScriptName]: ScriptFn };

export function registerScripts<T extends Cluster | Redis>(client: T): WithScripts<T> {
  for (const [name, file] of Object.entries(SCRIPTS)) {
    // No fixed numberOfKeys: scripts with optional keys take the count as their first argument.
    client.defineCommand(name, { lua: readFileSync(new URL(file, LUA_DIR), 'utf8') });
  }
  return client as WithScripts<T>;
}
