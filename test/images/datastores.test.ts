// The builtin data stores' images `npm run images` builds (images/{redis,kafka,postgres}/Dockerfile): valid
// docker-archives named as the CRD's defaults, running as the UIDs the operator's pods run as, and holding what
// the operator's commands call — run under runc as a pod would (read-only root, that UID, volumes for data).
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { POSTGRES_PORT, REDIS_PORT } from '@likepipe/operator/desired/connections.js';
import { DATA_STORE_UID } from '@likepipe/operator/desired/images.js';
import { desiredState } from '@likepipe/operator/desired/index.js';
import { KAFKA_PATHS, kafkaClusterId } from '@likepipe/operator/desired/kafka-config.js';
import { names } from '@likepipe/operator/desired/meta.js';
import { POSTGRES_PATHS, POSTGRES_USER } from '@likepipe/operator/desired/postgres-config.js';
import { checkedArchive, readArchive, runImage, unpackRootfs, type ImageConfig } from '../support/images.js';
import { examplePipeline, observedEverything } from '../support/likepipeline.js';

const exec = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const STORES = ['redis', 'kafka', 'postgres'] as const;
type Store = (typeof STORES)[number];

const images = Object.fromEntries(
  STORES.map((s) => [
    s,
    {
      ref: process.env[`LIKEPIPE_IMAGE_${s.toUpperCase()}`] ?? '',
      archive: process.env[`LIKEPIPE_IMAGE_${s.toUpperCase()}_ARCHIVE`] ?? '',
    },
  ]),
) as Record<Store, { ref: string; archive: string }>;

beforeAll(async () => {
  if (STORES.every((s) => images[s].archive)) return;
  const { stdout } = await exec('bash', [join(root, 'scripts/images.sh')], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const line of stdout.trim().split('\n')) {
    const [ref = '', archive = ''] = line.split(' ');
    const name = ref.split('/').pop()!.split(':')[0] as Store;
    if (STORES.includes(name)) images[name] = { ref, archive };
  }
}, 1_800_000);

/** The CRD's default image of each builtin store (spec.<store>.image): the example sets none. */
const crdDefault = (store: Store): string => examplePipeline('small.yaml').spec[store].image;

describe.each(STORES)('the %s archive', (store) => {
  test('is a docker-archive with the one repo tag the CRD defaults to, every layer, and the pod user', async () => {
    const { ref, archive } = images[store];
    expect(ref).toBe(crdDefault(store));
    const { config } = await checkedArchive(store, ref, archive);
    const uid = DATA_STORE_UID[store];
    expect(config.config.User).toBe(`${uid}:${uid}`);
    expect(config.config.Labels?.['org.opencontainers.image.title']).toBe(ref.split(':')[0]);
  });
});

// What the operator renders for the example pipeline: the data stores' ConfigMaps, Secret and pod specs.
const lp = examplePipeline('small.yaml');
const n = names(lp);
const objects = desiredState(lp, { ...observedEverything(lp), postgresPassword: 'pw-from-the-Secret' }).objects;
const find = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`the operator rendered no ${kind} ${name}`);
  return o as unknown as { data: Record<string, string>; spec: { template: { spec: V1PodSpec } } };
};
const configMap = (name: string) => find('ConfigMap', name).data;
const podSpec = (sts: string) => find('StatefulSet', sts).spec.template.spec;
/** A command line for `sh -c`, each word single-quoted. */
const shell = (argv: string[]) => argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');

describe('run with runc', () => {
  let dir: string;
  const unpacked: Partial<Record<Store, { rootfs: string; config: ImageConfig }>> = {};
  const image = async (store: Store) => {
    if (!unpacked[store]) {
      const { config } = await readArchive(images[store].archive);
      unpacked[store] = { rootfs: await unpackRootfs(images[store].archive, join(dir, store)), config };
    }
    return unpacked[store];
  };
  /** A tmpfs owned by the store's user, as a pod's volume with fsGroup is. */
  const data = (store: Store, destination: string, mode = '0700') => ({
    destination,
    tmpfs: { uid: DATA_STORE_UID[store], gid: DATA_STORE_UID[store], mode },
  });
  /** A directory of files (a ConfigMap or Secret volume), readable by every UID. */
  const files = (name: string, data: Record<string, string>) => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true, mode: 0o755 });
    for (const [key, text] of Object.entries(data)) writeFileSync(join(d, key), text, { mode: 0o644 });
    return d;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'likepipe-datastore-images-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('redis: redis-server and redis-cli', async () => {
    const { rootfs, config } = await image('redis');
    const server = await runImage(rootfs, config, { command: ['redis-server', '--version'] });
    expect(server).toMatchObject({ code: 0, stderr: '' });
    expect(server.stdout).toMatch(/^Redis server v=7\./);
    const cli = await runImage(rootfs, config, { command: ['redis-cli', '--version'] });
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    expect(cli.stdout).toMatch(/^redis-cli 7\./);
  });

  test("redis: the operator's redis.conf and command start a cluster-enabled node that answers PING", async () => {
    const { rootfs, config } = await image('redis');
    const container = podSpec(n.redis).containers[0]!;
    const conf = files('redis-config', configMap(n.redisConfig));
    // The kubelet expands $(POD_NAME) from the pod's environment (the downward API).
    const pod = `${n.redis}-0`;
    const command = [...(container.command ?? []), ...(container.args ?? [])].map((a) =>
      a.replaceAll('$(POD_NAME)', pod),
    );
    const script = `"$@" & pid=$!
      i=0; until redis-cli -p ${REDIS_PORT} ping >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 150 ] || exit 9; sleep 0.2; done
      redis-cli -p ${REDIS_PORT} ping; redis-cli -p ${REDIS_PORT} info cluster | grep cluster_enabled
      redis-cli -p ${REDIS_PORT} config get appendonly | tr '\\n' ' '; echo
      kill $pid; wait $pid`;
    const r = await runImage(rootfs, config, {
      command: ['sh', '-c', script, 'sh', ...command],
      volumes: [{ destination: '/etc/redis', bind: conf }, data('redis', '/data')],
      env: { POD_NAME: pod },
      timeoutMs: 60_000,
    });
    expect(r.stdout.split('\n').map((l) => l.trim())).toEqual(
      expect.arrayContaining(['PONG', 'cluster_enabled:1', 'appendonly yes']),
    );
  }, 90_000);

  test('kafka: Java 17 and the broker and tools classes in /opt/kafka/libs', async () => {
    const { rootfs, config } = await image('kafka');
    const java = await runImage(rootfs, config, { command: ['java', '-version'] });
    expect(java.code).toBe(0);
    expect(java.stderr).toMatch(/openjdk version "17\./);
    // The image's CMD: the broker's version.
    const version = await runImage(rootfs, config, { timeoutMs: 60_000 });
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/\b4\.\d+\.\d+\b/);
    const storage = await runImage(rootfs, config, {
      command: ['java', '-cp', '/opt/kafka/libs/*', 'kafka.tools.StorageTool', '--help'],
      timeoutMs: 60_000,
    });
    expect(`${storage.stdout}${storage.stderr}`).toMatch(/format/);
    // Maven's home of the build (mounted over /root in the jars stage) left nothing in the image.
    expect(readdirSync(join(rootfs, 'root')).filter((f) => f !== '.bashrc' && f !== '.profile')).toEqual([]);
  }, 180_000);

  test("kafka: the operator's start script, in the image, formats the storage and starts the broker", async () => {
    const { rootfs, config } = await image('kafka');
    const container = podSpec(n.kafka).containers[0]!;
    const pod = `${n.kafka}-0`;
    // The pod's DNS name, which the rendered listeners use: here the container's own loopback.
    const hosts = files('kafka-hosts', {
      hosts: `127.0.0.1 localhost ${pod}.${n.kafka}.${lp.metadata.namespace}.svc\n`,
    });
    const script = `${shell([...(container.command ?? []), ...(container.args ?? [])])} >/tmp/broker.log 2>&1 & pid=$!
      i=0; until grep -q 'Kafka Server started' /tmp/broker.log; do
        kill -0 $pid 2>/dev/null || { cat /tmp/broker.log; exit 8; }
        i=$((i+1)); [ $i -lt 600 ] || { cat /tmp/broker.log; exit 9; }; sleep 0.25; done
      grep -o 'Kafka Server started' /tmp/broker.log
      cat ${KAFKA_PATHS.data}/logs/meta.properties
      kill $pid; wait $pid || true`;
    const r = await runImage(rootfs, config, {
      command: ['sh', '-c', script],
      env: { POD_NAME: pod },
      volumes: [
        { destination: KAFKA_PATHS.config, bind: files('kafka-config', configMap(n.kafkaConfig)) },
        { destination: '/etc/hosts', bind: join(hosts, 'hosts') },
        data('kafka', KAFKA_PATHS.data, '0750'),
        data('kafka', KAFKA_PATHS.rendered),
        data('kafka', '/tmp', '1777'),
      ],
      timeoutMs: 170_000,
    });
    expect(r.stdout).toContain('Kafka Server started');
    expect(r.stdout).toContain(`cluster.id=${kafkaClusterId(lp.metadata.uid)}`);
    expect(r.code).toBe(0);
  }, 200_000);

  test('postgres: postgres, initdb and pg_isready on PATH; initdb makes a cluster as UID 999', async () => {
    const { rootfs, config } = await image('postgres');
    for (const tool of ['postgres', 'initdb', 'pg_isready']) {
      const r = await runImage(rootfs, config, { command: [tool, '--version'] });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^${tool} \\(PostgreSQL\\) 15\\.`));
    }
    const init = await runImage(rootfs, config, {
      command: ['initdb', '-D', '/var/lib/postgresql/data/pgdata', '-U', 'postgres', '--auth=trust'],
      volumes: [data('postgres', '/var/lib/postgresql/data')],
      timeoutMs: 120_000,
    });
    expect(init.stdout).toMatch(/Success/);
    expect(init.code).toBe(0);
  }, 180_000);
  test("postgres: the operator's init script and command, in the image, serve the pipeline's role", async () => {
    const { rootfs, config } = await image('postgres');
    const spec = podSpec(n.postgres);
    const [init, server] = [spec.initContainers![0]!, spec.containers[0]!];
    const secret = find('Secret', n.postgresSecret).data;
    const password = Buffer.from(secret.password!, 'base64').toString('utf8');
    const argv = (c: V1Container) => shell([...(c.command ?? []), ...(c.args ?? [])]);
    const script = `set -e
      ${argv(init)}
      ${argv(server)} & pid=$!
      i=0; until ${shell(server.readinessProbe!.exec!.command!)} >/dev/null 2>&1; do
        i=$((i+1)); [ $i -lt 150 ] || exit 9; sleep 0.2; done
      PGPASSWORD="$(cat ${POSTGRES_PATHS.secret}/password)" psql -h 127.0.0.1 -p ${POSTGRES_PORT} -U ${POSTGRES_USER} \\
        -d ${lp.spec.postgres.database} -tA -c 'SELECT current_user, current_database()'
      kill -INT $pid; wait $pid; echo "stopped $?"`;
    const r = await runImage(rootfs, config, {
      command: ['sh', '-c', script],
      volumes: [
        { destination: POSTGRES_PATHS.config, bind: files('postgres-config', configMap(n.postgresConfig)) },
        { destination: POSTGRES_PATHS.secret, bind: files('postgres-secret', { password }) },
        data('postgres', POSTGRES_PATHS.volume),
        data('postgres', POSTGRES_PATHS.socket, '2775'),
        data('postgres', '/tmp', '1777'),
      ],
      timeoutMs: 120_000,
    });
    expect({ code: r.code, lines: r.stdout.trim().split('\n').slice(-2) }).toEqual({
      code: 0,
      lines: [`${POSTGRES_USER}|${lp.spec.postgres.database}`, 'stopped 0'],
    });
  }, 180_000);
});
