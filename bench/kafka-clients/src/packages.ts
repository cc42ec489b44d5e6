/**
 * What each client costs to carry: its installed size with its own dependencies (from the lock file), the
 * native build time recorded by install.sh, and its release history from the npm registry (the newest stable
 * version, how many stable and pre-release versions exist, and the registry's times, which on a mirror may be
 * when the mirror took a version in rather than when it was published).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

export const PACKAGES = {
  kafkajs: 'kafkajs',
  platformatic: '@platformatic/kafka',
  confluent: '@confluentinc/kafka-javascript',
} as const;

interface Lock {
  packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
}

function dirBytes(dir: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Bytes on disk of `name` and everything it pulls in (nested node_modules included in its own directory). */
export function installedBytes(pkgDir: string, name: string): number {
  const lock = JSON.parse(readFileSync(join(pkgDir, 'package-lock.json'), 'utf8')) as Lock;
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const dep of Object.keys(lock.packages[`node_modules/${n}`]?.dependencies ?? {})) visit(dep);
  };
  visit(name);
  let total = 0;
  for (const n of seen) total += dirBytes(join(pkgDir, 'node_modules', n));
  return total;
}

export interface Upkeep {
  pinned: string;
  pinned_released: string | null;
  latest: string | null;
  latest_released: string | null;
  stable_versions: number | null;
  prerelease_versions: number | null;
  newest_prerelease: string | null;
}

export function upkeep(name: string, pinned: string): Upkeep {
  try {
    const out = execFileSync('npm', ['view', name, 'time', 'dist-tags', '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
    const info = JSON.parse(out) as { time: Record<string, string>; 'dist-tags': { latest: string } };
    const latest = info['dist-tags'].latest;
    const versions = Object.keys(info.time).filter((v) => v !== 'created' && v !== 'modified');
    const pre = versions.filter((v) => v.includes('-'));
    const newestPre = pre.sort((a, b) => Date.parse(info.time[a]!) - Date.parse(info.time[b]!)).at(-1);
    return {
      pinned,
      pinned_released: info.time[pinned] ?? null,
      latest,
      latest_released: info.time[latest] ?? null,
      stable_versions: versions.length - pre.length,
      prerelease_versions: pre.length,
      newest_prerelease: newestPre ?? null,
    };
  } catch {
    return {
      pinned,
      pinned_released: null,
      latest: null,
      latest_released: null,
      stable_versions: null,
      prerelease_versions: null,
      newest_prerelease: null,
    };
  }
}
