import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

/**
 * The chart's dashboard ConfigMaps, as `helm template` renders them: one per committed dashboard file with the
 * sidecar's label and the file's exact JSON, every value honoured, none when disabled, bad values refused by
 * values.schema.json. Only helm is needed (the k8s project has it on PATH), not the API server.
 */
const CHART = fileURLToPath(new URL('../../charts/likepipe-operator', import.meta.url));
const files = readdirSync(`${CHART}/dashboards`)
  .filter((f) => f.endsWith('.json'))
  .sort();

interface ConfigMap {
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  data: Record<string, string>;
}

function helm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('helm', args, { maxBuffer: 64 << 20, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code) || 1 : 0, stdout, stderr }),
    );
  });
}

async function dashboards(...set: string[]): Promise<ConfigMap[]> {
  const r = await helm('template', 'likepipe-operator', CHART, '--namespace', 'likepipe-system', ...set);
  expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
  return (yaml.loadAll(r.stdout) as (ConfigMap | null)[]).filter(
    (o): o is ConfigMap => o?.kind === 'ConfigMap' && Object.keys(o.data ?? {}).some((k) => k.endsWith('.json')),
  );
}

describe('dashboard ConfigMaps', () => {
  test('by default: one per dashboard file, labelled grafana_dashboard: "1", holding the file unchanged', async () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    const cms = await dashboards();
    expect(cms.map((c) => Object.keys(c.data)[0]).sort()).toEqual(files);
    for (const cm of cms) {
      const file = Object.keys(cm.data)[0]!;
      expect(cm.metadata.namespace).toBe('likepipe-system');
      expect(cm.metadata.name).toBe(`likepipe-operator-${file.replace(/\.json$/, '')}`);
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      expect(cm.metadata.labels['app.kubernetes.io/component']).toBe('dashboards');
      expect(cm.metadata.annotations).toBeUndefined();
      // Exactly the committed JSON (YAML's |- drops only the final newline).
      expect(`${cm.data[file]}\n`).toBe(readFileSync(`${CHART}/dashboards/${file}`, 'utf8'));
      expect(JSON.parse(cm.data[file]!).uid).toBe(file.replace(/\.json$/, ''));
    }
  });

  test('label, value, namespace, extra labels and annotations are honoured', async () => {
    const cms = await dashboards(
      '--set',
      'dashboards.label=grafana.example.com/dashboard',
      '--set-string',
      'dashboards.labelValue=likepipe',
      '--set',
      'dashboards.namespace=monitoring',
      '--set',
      'dashboards.extraLabels.team=sre',
      '--set',
      'dashboards.annotations.grafana_folder=LikePipeline',
    );
    expect(cms).toHaveLength(files.length);
    for (const cm of cms) {
      expect(cm.metadata.namespace).toBe('monitoring');
      expect(cm.metadata.labels['grafana.example.com/dashboard']).toBe('likepipe');
      expect(cm.metadata.labels.grafana_dashboard).toBeUndefined();
      expect(cm.metadata.labels.team).toBe('sre');
      expect(cm.metadata.annotations).toEqual({ grafana_folder: 'LikePipeline' });
    }
    // A number from --set is taken too, and rendered as the string a label value must be.
    const numeric = await dashboards('--set', 'dashboards.labelValue=2');
    expect(numeric.map((c) => c.metadata.labels.grafana_dashboard)).toEqual(files.map(() => '2'));
  });

  test('dashboards.enabled=false renders none', async () => {
    expect(await dashboards('--set', 'dashboards.enabled=false')).toEqual([]);
  });

  test('helm lint --strict is clean with dashboards on and off', async () => {
    for (const set of [[], ['--set', 'dashboards.enabled=false'], ['--set', 'dashboards.namespace=monitoring']]) {
      const r = await helm('lint', '--strict', CHART, ...set);
      expect({ set, code: r.code }).toEqual({ set, code: 0 });
    }
  });

  test.each([
    ['dashboards.enabled=yes', 'dashboards'],
    ['dashboards.label=not a label', 'label'],
    ['dashboards.labelValue=-bad-', 'labelValue'],
    ['dashboards.namespace=Not_A_Namespace', 'namespace'],
    ['dashboards.extraLabels.team=not a label value', 'extraLabels'],
    ['dashboards.folder=x', 'folder'],
  ])('values.schema.json refuses %s', async (value, named) => {
    const r = await helm('template', 'bad', CHART, ...(value.includes('=yes') ? ['--set-string'] : ['--set']), value);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(named);
  });
});
