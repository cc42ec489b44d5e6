import { readFileSync } from 'node:fs';
import {
  OPERATOR_METRICS,
  PIPELINE_METRICS,
  ROLE_ENV,
  ROLES,
  WORKER_METRICS_PORTS,
  describeRoleEnv,
  renderShellEnv,
  type WorkerRole,
} from '@likepipe/contract';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The README's configuration table: each row's variable names and the default cell's parts, in order. */
function readmeConfigRows(): { names: string[]; defaults: string[]; row: string; meaning: string }[] {
  const readme = read('README.md');
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 3),
  );
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((row) => {
      const [variables = '', def = '', , meaning = ''] = row.split(' | ').map((c) => c.replace(/^\| /, ''));
      const names = [...variables.matchAll(/`([A-Z_*]+)`/g)].map((m) => m[1] ?? '');
      const defaults = def.split(/ \/ |, /).map((d) => d.trim());
      return { names, defaults, row, meaning };
    });
}

describe('the contract module', () => {
  test('scripts/lib/contract.sh is what `npm run gen:contract` writes today', () => {
    expect(read('scripts/lib/contract.sh')).toBe(renderShellEnv());
  });

  test("every role's variables are in the README's configuration table, and every table row is a real variable", () => {
    const contract = new Set(ROLES.flatMap((r) => describeRoleEnv(r).map((v) => v.name)));
    const readme = new Set(readmeConfigRows().flatMap((r) => r.names));
    const missing = [...contract].filter((n) => !readme.has(n));
    const unknown = [...readme].filter((n) => !contract.has(n) && n !== 'OTEL_*');
    expect({ missing, unknown }).toEqual({ missing: [], unknown: [] });
  });

  test("the README's defaults are the contract's defaults", () => {
    const defaults = new Map<string, unknown>();
    for (const r of ROLES) for (const v of describeRoleEnv(r)) if (!v.required) defaults.set(v.name, v.default);
    const wrong: string[] = [];
    for (const { names, defaults: cells, meaning } of readmeConfigRows()) {
      if (names[0] === 'LIKEPIPE_METRICS_PORT') {
        // One default per worker role, named in the same order in the meaning column.
        const roles = (meaning.match(/of ([a-z /-]+)/)?.[1] ?? '').split(' / ').map((s) => s.trim());
        roles.forEach((role, i) => {
          const want = WORKER_METRICS_PORTS[role as WorkerRole];
          if (cells[i] !== `\`${want}\``)
            wrong.push(`LIKEPIPE_METRICS_PORT of ${role}: README ${cells[i]}, contract ${want}`);
        });
        expect(roles.sort()).toEqual(Object.keys(WORKER_METRICS_PORTS).sort());
        continue;
      }
      names.forEach((name, i) => {
        if (!defaults.has(name) || name === 'LIKEPIPE_API_WORKERS') return; // required, or machine-dependent
        const want = defaults.get(name);
        const cell = cells[i] ?? '';
        const shown = cell.match(/^`([^`]*)`/)?.[1];
        if (want === undefined ? cell !== 'unset' : shown !== String(want)) {
          wrong.push(`${name}: README ${cell}, contract ${String(want)}`);
        }
      });
    }
    expect(wrong).toEqual([]);
  });

  test('every metric the READMEs name is one the contract defines', () => {
    const all: { name: string }[] = [...Object.values(PIPELINE_METRICS), ...Object.values(OPERATOR_METRICS)];
    const defined = new Set(all.map((m) => m.name));
    const docs = ['README.md', 'operator/README.md', 'charts/likepipe-operator/README.md'].map(read).join('\n');
    // Histograms are also named by their series (`_bucket`, `_sum`, `_count`).
    const named = [...docs.matchAll(/\blikepipe_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
    expect(named.length).toBeGreaterThan(10);
    expect([...new Set(named)].filter((n) => !defined.has(n))).toEqual([]);
  });

  test('a bad value names the variable and keeps secrets out of the message', () => {
    const env = {
      REDIS_CLUSTER_NODES: '127.0.0.1:7001',
      KAFKA_BROKERS: '127.0.0.1:9092',
      DATABASE_URL: 'postgres://u:p@h/db',
      LIKEPIPE_JWT_SECRET: 'short-secret-value',
    };
    const r = ROLE_ENV['like-api'].safeParse(env);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues.map((i) => i.path))).toContain('LIKEPIPE_JWT_SECRET');
    expect(JSON.stringify(r.error?.issues)).not.toContain('short-secret-value');
  });
});
