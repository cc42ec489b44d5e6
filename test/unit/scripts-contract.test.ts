// The local-stack scripts take role names, ports, the topic and the partition default from
// scripts/lib/contract.sh (generated from packages/contract), through scripts/lib/common.sh and
// scripts/lib/private-stack.sh. These run the two libraries in bash and read every script.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PORT, DEFAULT_TOPIC, WORKER_METRICS_PORTS, WORKER_ROLES, describeRoleEnv } from '@likepipe/contract';

const root = fileURLToPath(new URL('../../', import.meta.url));
const partitions = describeRoleEnv('ensure-topic').find((v) => v.name === 'LIKEPIPE_KAFKA_PARTITIONS')?.default;
const shellName = (role: string) => role.toUpperCase().replaceAll('-', '_');

let state: string;
beforeAll(() => {
  state = mkdtempSync(join(tmpdir(), 'likepipe-scripts-'));
});
afterAll(() => rmSync(state, { recursive: true, force: true }));

/** Runs SCRIPT in bash with none of the caller's LIKEPIPE_* variables (npm test exports a private stack's). */
function bash(script: string, env: Record<string, string> = {}): string {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIKEPIPE_')));
  return execFileSync('bash', ['-c', script], {
    cwd: root,
    env: { ...clean, LIKEPIPE_STATE: state, LIKEPIPE_CACHE: join(state, 'cache'), ...env },
    encoding: 'utf8',
  });
}

const common = 'source scripts/lib/common.sh; ';

describe('scripts/lib/common.sh', () => {
  test("role_metrics_port gives each worker role the contract's port", () => {
    const out = bash(common + 'for r in $LIKEPIPE_CONTRACT_WORKER_ROLES; do echo "$r $(role_metrics_port "$r")"; done');
    expect(out.trim().split('\n')).toEqual(WORKER_ROLES.map((r) => `${r} ${WORKER_METRICS_PORTS[r]}`));
  });

  test('LIKEPIPE_<ROLE>_METRICS_PORT overrides it, and a role without a metrics port is refused', () => {
    const env = { LIKEPIPE_TRUTH_WRITER_METRICS_PORT: '19464', LIKEPIPE_FEED_RANKER_METRICS_PORT: '19469' };
    expect(
      bash(common + 'role_metrics_port truth-writer; role_metrics_port feed-ranker; role_metrics_port notifier', env),
    ).toBe(`19464\n19469\n${WORKER_METRICS_PORTS.notifier}\n`);
    expect(() => bash(common + 'role_metrics_port like-api 2>/dev/null')).toThrow();
  });

  test("the API port, topic and partitions default to the contract's and honour the user's overrides", () => {
    const show = common + 'echo "$API_PORT $KAFKA_TOPIC $KAFKA_PARTITIONS"';
    expect(bash(show).trim()).toBe(`${API_PORT} ${DEFAULT_TOPIC} ${String(partitions)}`);
    const env = { LIKEPIPE_API_PORT: '18080', LIKEPIPE_KAFKA_TOPIC: 'other', LIKEPIPE_KAFKA_PARTITIONS: '3' };
    expect(bash(show, env).trim()).toBe('18080 other 3');
  });

  test('the local stack runs every worker role but the redis-cluster-keeper', () => {
    expect(bash(common + 'echo "$LOCAL_WORKER_ROLES"').trim()).toBe(
      WORKER_ROLES.filter((r) => r !== 'redis-cluster-keeper').join(' '),
    );
  });
});

describe('scripts/lib/private-stack.sh', () => {
  test("private_stack NAME OFFSET shifts the API's and every worker role's port by OFFSET", () => {
    const names = ['LIKEPIPE_API_PORT', ...WORKER_ROLES.map((r) => `LIKEPIPE_${shellName(r)}_METRICS_PORT`)];
    const out = bash(
      `source scripts/lib/private-stack.sh; private_stack t 700; for v in ${names.join(' ')}; do echo "$v=\${!v}"; done`,
    );
    expect(out.trim().split('\n')).toEqual([
      `LIKEPIPE_API_PORT=${API_PORT + 700}`,
      ...WORKER_ROLES.map((r) => `LIKEPIPE_${shellName(r)}_METRICS_PORT=${WORKER_METRICS_PORTS[r] + 700}`),
    ]);
  });

  test('what it exports is what common.sh then uses', () => {
    const out = bash(
      // Its state directory would be in the checkout; this one stays in the temporary directory.
      'source scripts/lib/private-stack.sh; private_stack t 300; LIKEPIPE_STATE=$KEEP_STATE; ' +
        common +
        'echo "$API_PORT $(role_metrics_port reconciler)"',
      { KEEP_STATE: state },
    );
    expect(out.trim()).toBe(`${API_PORT + 300} ${WORKER_METRICS_PORTS.reconciler + 300}`);
  });
});

describe('the scripts', () => {
  const scripts = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((f) => {
      const path = join(dir, f);
      if (statSync(join(root, path)).isDirectory()) return scripts(path);
      return path.endsWith('.sh') && path !== join('scripts', 'lib', 'contract.sh') ? [path] : [];
    });

  test("none types a contract port or the topic again (they read scripts/lib/contract.sh's)", () => {
    const values = [String(API_PORT), ...Object.values(WORKER_METRICS_PORTS).map(String), DEFAULT_TOPIC];
    const found = scripts('scripts').flatMap((path) =>
      readFileSync(join(root, path), 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          values
            .filter((v) => new RegExp(`(^|[^\\w-])${v.replace('-', '\\-')}($|[^\\w-])`).test(line))
            .map((v) => `${path}:${i + 1}: ${v}`),
        ),
    );
    expect(found).toEqual([]);
  });
});
