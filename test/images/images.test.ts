// The images `npm run images` (scripts/images.sh) builds: valid docker-archives named as the chart and the CRD
// name them, that run under runc as the pods would (read-only root, UID 10001) and answer as the code says,
// cached by their inputs. scripts/test.sh builds them beside the stack and exports where they are; run alone,
// this builds them (minutes the first time).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROLES } from '@likepipe/contract';
import { specSchema } from '@likepipe/operator/api/crd.js';
import { checkedArchive, readArchive, runImage, unpackRootfs, type ImageConfig } from '../support/images.js';

const exec = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** `bash scripts/images.sh ARGS` in checkout DIR: its stdout lines, stderr, and how long it took. */
async function imagesScript(args: string[], dir = root, env: Record<string, string> = {}) {
  const started = Date.now();
  const { stdout, stderr } = await exec('bash', [join(dir, 'scripts/images.sh'), ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { lines: stdout.trim().split('\n'), stderr, seconds: (Date.now() - started) / 1000 };
}

const chartVersion = /^appVersion:\s*"?([^"\s]+)"?\s*$/m.exec(read('charts/likepipe-operator/Chart.yaml'))?.[1];
const operatorRepository = /^image:\n(?:\s+#.*\n)*\s+repository:\s*(\S+)/m.exec(
  read('charts/likepipe-operator/values.yaml'),
)?.[1];

const images: Record<'pipeline' | 'operator', { ref: string; archive: string }> = {
  pipeline: {
    ref: process.env.LIKEPIPE_IMAGE_PIPELINE ?? '',
    archive: process.env.LIKEPIPE_IMAGE_PIPELINE_ARCHIVE ?? '',
  },
  operator: {
    ref: process.env.LIKEPIPE_IMAGE_OPERATOR ?? '',
    archive: process.env.LIKEPIPE_IMAGE_OPERATOR_ARCHIVE ?? '',
  },
};

beforeAll(async () => {
  if (images.pipeline.archive && images.operator.archive) return;
  const { lines } = await imagesScript([]);
  for (const line of lines) {
    const [ref = '', archive = ''] = line.split(' ');
    const name = ref.split('/').pop()!.split(':')[0] as 'pipeline' | 'operator';
    images[name] = { ref, archive };
  }
}, 1_800_000);

test('the references are the ones the CRD (spec.image default) and the chart (image.repository, appVersion) use', () => {
  expect(chartVersion).toBeDefined();
  expect(images.pipeline.ref).toBe(specSchema.properties.image.default);
  expect(images.operator.ref).toBe(`${operatorRepository}:${chartVersion}`);
});

describe.each(['pipeline', 'operator'] as const)('the %s archive', (name) => {
  test('is a docker-archive: manifest.json with the one repo tag, the image config, every layer', async () => {
    const { ref, archive } = images[name];
    const { config } = await checkedArchive(name, ref, archive);
    // What the Dockerfile says.
    expect(config.config.User).toBe('10001:10001');
    expect(config.config.WorkingDir).toBe('/app');
    expect(config.config.Labels?.['org.opencontainers.image.title']).toBe(ref.split(':')[0]);
    expect(config.config.Labels?.['org.opencontainers.image.version']).toBe(chartVersion);
  });
});

describe('run with runc', () => {
  let dir: string;
  const unpacked: Partial<Record<'pipeline' | 'operator', { rootfs: string; config: ImageConfig }>> = {};
  const image = async (name: 'pipeline' | 'operator') => {
    if (!unpacked[name]) {
      const { config } = await readArchive(images[name].archive);
      unpacked[name] = { rootfs: await unpackRootfs(images[name].archive, join(dir, name)), config };
    }
    return unpacked[name];
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'likepipe-images-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the pipeline image without a role prints the list of roles and exits 2', async () => {
    const { rootfs, config } = await image('pipeline');
    const r = await runImage(rootfs, config);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `usage: likepipe <${ROLES.join('|')}>\n` });
    // An unknown role gets the same answer.
    expect(await runImage(rootfs, config, { args: ['like-button'] })).toEqual(r);
  });

  test('the pipeline image runs a role: migrate without DATABASE_URL says what is missing and exits 1', async () => {
    const { rootfs, config } = await image('pipeline');
    const r = await runImage(rootfs, config, { args: ['migrate'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^likepipe migrate: invalid configuration:\n\s+DATABASE_URL is not set/);
  });

  test('the pipeline image runs as UID 10001 (user likepipe) on a read-only root it cannot write', async () => {
    const { rootfs, config } = await image('pipeline');
    const script = `const os = require('node:os'); const fs = require('node:fs');
      let w = 'writable'; try { fs.writeFileSync('/app/probe', ''); } catch (e) { w = e.code; }
      console.log(process.getuid(), process.getgid(), os.userInfo().username, process.version, w);`;
    const r = await runImage(rootfs, config, { command: ['node', '-e', script] });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^10001 10001 likepipe v24\.\d+\.\d+ E(ROFS|ACCES)$/);
  });

  test.each(['pipeline', 'operator'] as const)(
    "the %s image holds nothing of the build machine's npm settings or caches",
    async (name) => {
      const { rootfs } = await image(name);
      // npm's global config directory, mounted during the build's RUN steps, is as empty as in the base.
      expect(await readdir(join(rootfs, 'usr/local/etc'))).toEqual([]);
      expect(existsSync(join(rootfs, 'root/.npm'))).toBe(false);
      expect(existsSync(join(rootfs, 'root/.npmrc'))).toBe(false);
    },
  );

  test('the operator image without a kubeconfig exits 1 with its config error', async () => {
    const { rootfs, config } = await image('operator');
    const r = await runImage(rootfs, config);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'likepipe-operator: no Kubernetes API to talk to: set KUBECONFIG, or run in a pod with a ServiceAccount\n',
    );
  });
});

describe('cached by content', () => {
  test('a second run with nothing changed is a cache hit: the same archives, nothing built', async () => {
    const r = await imagesScript([]);
    expect(r.lines.slice(0, 2)).toEqual([
      `${images.pipeline.ref} ${images.pipeline.archive}`,
      `${images.operator.ref} ${images.operator.archive}`,
    ]);
    // Then the data stores' images (test/images/datastores.test.ts).
    expect(r.lines.slice(2).map((l) => l.split(' ')[0])).toEqual([
      `likepipe/redis:${chartVersion}`,
      `likepipe/kafka:${chartVersion}`,
      `likepipe/postgres:${chartVersion}`,
    ]);
    expect(r.stderr).not.toMatch(/building/);
    expect(r.stderr.match(/: cached \(/g)).toHaveLength(5);
    expect(r.seconds).toBeLessThan(30);
  });

  test('changing a source file changes the hash; a file .dockerignore excludes does not', async () => {
    // A clone of this checkout's HEAD, so the work tree here is never touched.
    const clone = await mkdtemp(join(tmpdir(), 'likepipe-images-clone-'));
    try {
      await exec('git', ['clone', '--quiet', '--shared', root, clone]);
      const env = { LIKEPIPE_ROOT: clone, LIKEPIPE_STATE: join(clone, '.likepipe') };
      const hashes = async () =>
        Object.fromEntries((await imagesScript(['hash'], clone, env)).lines.map((l) => l.split(' ')));
      const before = await hashes();
      expect(Object.keys(before)).toEqual(['pipeline', 'operator', 'redis', 'kafka', 'postgres']);
      await appendFile(join(clone, 'apps/pipeline/src/main.ts'), '// changed\n');
      const changed = await hashes();
      expect(changed.pipeline).not.toBe(before.pipeline);
      // Every image's context is the repository root, so any context file is an input of each.
      expect(changed.redis).not.toBe(before.redis);
      await writeFile(join(clone, 'apps/pipeline/debug.log'), 'excluded by **/*.log\n');
      expect(await hashes()).toEqual(changed);
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
  });
});
