/**
 * What each client costs to carry: its installed size with its own dependencies (from the lock file), the
 * native build time recorded by install.sh, and its release history from the npm registry (the pinned
 * version's date, the newest version and its date), which says how it is kept up.
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
  releases_last_12_months: number | null;
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
    const yearAgo = Date.now() - 365 * 86_400_000;
    const recent = Object.entries(info.time).filter(
      ([v, t]) => v !== 'created' && v !== 'modified' && !v.includes('-') && Date.parse(t) > yearAgo,
    );
    return {
      pinned,
      pinned_released: info.time[pinned] ?? null,
      latest,
      latest_released: info.time[latest] ?? null,
      releases_last_12_months: recent.length,
    };
  } catch {
    return { pinned, pinned_released: null, latest: null, latest_released: null, releases_last_12_months: null };
  }
}
