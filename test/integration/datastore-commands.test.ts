// The commands and configuration the operator renders for the builtin data stores, run for real on this machine
// (no Kubernetes): the Kafka start script and server.properties, the Postgres init script, server command and
// preStop hook, and the Redis config, for the small example pipeline. Only what a pod would have differently is
// rewritten: its paths (a temp directory instead of the volumes and ConfigMap mounts; the local stack's Kafka
// jars and Debian's PostgreSQL binaries instead of the image's), its hosts (127.0.0.1 instead of pod DNS names)
// and its ports (free ones). The stack scripts installed the binaries; `npm test` runs them first.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import type { LikePipeline } from '@likepipe/operator/api/types.js';
import {
  KAFKA_CONTROLLER_PORT,
  KAFKA_PORT,
  POSTGRES_PORT,
  REDIS_PORT,
} from '@likepipe/operator/desired/connections.js';
import { desiredState, type KubeObject } from '@likepipe/operator/desired/index.js';
import { KAFKA_PATHS, kafkaClusterId } from '@likepipe/operator/desired/kafka-config.js';
import { names } from '@likepipe/operator/desired/meta.js';
import { POSTGRES_PATHS, POSTGRES_SUPERUSER, POSTGRES_USER } from '@likepipe/operator/desired/postgres-config.js';
import { examplePipeline, observedEverything } from '../support/likepipeline.js';
import { waitFor } from '../support/wait.js';

const ROOT = new URL('../../', import.meta.url);
const lp: LikePipeline = examplePipeline('small.yaml');
const n = names(lp);
const objects = desiredState(lp, { ...observedEverything(lp), postgresPassword: 'pw-from-the-Secret' }).objects;

const find = (kind: string, name: string): KubeObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`the operator rendered no ${kind} ${name}`);
  return o;
};
const configMap = (name: string) => (find('ConfigMap', name) as { data: Record<string, string> }).data;
const podSpec = (sts: string) =>
  (find('StatefulSet', sts) as { spec: { template: { spec: V1PodSpec } } }).spec.template.spec;

// ------------------------------------------------------------------------------------------------ this machine

/** Debian's PostgreSQL server binaries, newest major first (what scripts/stack/postgres.sh runs). */
function postgresBin(): string {
  const majors = readdirSync('/usr/lib/postgresql')
    .filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
    .sort((a, b) => Number(b) - Number(a));
  if (!majors[0])
    throw new Error('no /usr/lib/postgresql/*/bin/initdb: run through `npm test` (scripts/stack/postgres.sh)');
  return `/usr/lib/postgresql/${majors[0]}/bin`;
}

/** The jars scripts/stack/kafka.sh installed: the same pom as the likepipe/kafka image's. */
function kafkaLibs(): string {
  const pom = readFileSync(new URL('images/kafka/pom.xml', ROOT), 'utf8');
  const version = process.env.LIKEPIPE_KAFKA_VERSION ?? /<kafka\.version>([^<]+)</.exec(pom)?.[1];
  const libs = join(process.env.LIKEPIPE_CACHE ?? join(homedir(), '.cache/likepipe'), `kafka-${version}`, 'libs');
  if (!existsSync(libs))
    throw new Error(`${libs} is missing: run through \`npm test\` (scripts/stack/kafka.sh install)`);
  return libs;
}

/**
 * Postgres refuses to run as root. As root, the scripts run as the unprivileged user scripts/stack/postgres.sh
 * made (a pod runs them as UID 999); otherwise as ourselves.
 */
const PG_OS_USER = 'likepipe';
const asRoot = process.getuid?.() === 0;
const pgIds = asRoot
  ? {
      uid: Number(execFileSync('id', ['-u', PG_OS_USER]).toString()),
      gid: Number(execFileSync('id', ['-g', PG_OS_USER]).toString()),
    }
  : undefined;

async function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as { port: number };
      srv.close(() => resolve(bound));
    });
  });
}

/** A free port whose Redis Cluster bus port (port + 10000, redis.conf sets no other) is free too. */
async function freeRedisPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (
      port + 10000 <= 65535 &&
      (await freePort(port + 10000).then(
        () => true,
        () => false,
      ))
    )
      return port;
  }
}

// ------------------------------------------------------------------------------------------------ the rewriting

/** Replaces pod paths (longest first, so no path's prefix wins), then hosts and ports, in every rendered string. */
function rewriter(paths: Record<string, string>, hosts: [RegExp, string][], ports: Record<number, number>) {
  const ordered = Object.entries(paths).sort((a, b) => b[0].length - a[0].length);
  return (text: string): string => {
    let out = text;
    for (const [from, to] of ordered) out = out.split(from).join(to);
    for (const [re, to] of hosts) out = out.replace(re, to);
    for (const [from, to] of Object.entries(ports)) out = out.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to));
    return out;
  };
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs a rendered command (as the pod's user when we are root), keeping its output for the failure message. */
function run(argv: string[], env: Record<string, string>, opts: { pgUser?: boolean } = {}): Running {
  const asUser = opts.pgUser && asRoot;
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const [cmd, ...args] = asUser ? ['runuser', '-u', PG_OS_USER, '--', 'env', ...envArgs, ...argv] : argv;
  const child = spawn(cmd!, args, {
    cwd: '/',
    env: asUser ? { PATH: process.env.PATH } : { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so afterAll can end what it started (runuser's child included)
  });
  // The beginning (what a start script did before its server) and the end (why it stopped) of the output.
  let head = '';
  let tail = '';
  const keep = (b: Buffer) => {
    if (head.length < 20_000) head += b.toString();
    else tail = (tail + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => (tail ? `${head}\n[…]\n${tail}` : head), exited };
}

async function runToEnd(argv: string[], env: Record<string, string>, opts: { pgUser?: boolean } = {}) {
  const r = run(argv, env, opts);
  const code = await r.exited;
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}:\n${r.output()}`);
  return r.output();
}

const started: Running[] = [];
function stopAll(): Promise<unknown> {
  return Promise.all(
    started.map(async (r) => {
      if (r.child.exitCode !== null || r.child.signalCode !== null) return;
      process.kill(-r.child.pid!, 'SIGTERM');
      // Unreferenced, so a process that stopped in time leaves no timer keeping jest alive.
      const done = await Promise.race([
        r.exited.then(() => true),
        new Promise((res) => setTimeout(res, 30_000, false).unref()),
      ]);
      if (!done) process.kill(-r.child.pid!, 'SIGKILL');
    }),
  );
}

const work = mkdtempSync('/tmp/likepipe-datastores-');
if (pgIds) chownSync(work, pgIds.uid, pgIds.gid);
afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

/** Writes a ConfigMap's keys, rewritten, where the pod would mount it. */
function writeConfig(data: Record<string, string>, dir: string, rewrite: (s: string) => string) {
  mkdirSync(dir, { recursive: true });
  for (const [key, text] of Object.entries(data)) writeFileSync(join(dir, key), rewrite(text));
}

const command = (c: V1Container) => [...(c.command ?? []), ...(c.args ?? [])];

// ------------------------------------------------------------------------------------------------ the tests

test("Kafka: the operator's start script formats the storage once, with the derived cluster id, and the broker answers", async () => {
  const dir = join(work, 'kafka');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const pod = `${n.kafka}-0`;
  const rewrite = rewriter(
    {
      [KAFKA_PATHS.config]: join(dir, 'config'),
      [KAFKA_PATHS.data]: join(dir, 'data'),
      [KAFKA_PATHS.rendered]: join(dir, 'rendered'),
      [KAFKA_PATHS.libs]: kafkaLibs(),
    },
    [
      [new RegExp(`(@POD_NAME@|${n.kafka}-\\d+)\\.${n.kafka}\\.${lp.metadata.namespace}\\.svc`, 'g'), '127.0.0.1'],
      [/:\/\/:/g, '://127.0.0.1:'], // listeners bind every interface of a pod; here only the loopback
    ],
    { [KAFKA_PORT]: port, [KAFKA_CONTROLLER_PORT]: controllerPort },
  );
  writeConfig(configMap(n.kafkaConfig), join(dir, 'config'), rewrite);
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'rendered'), { recursive: true });
  const container = podSpec(n.kafka).containers[0]!;
  const argv = command(container).map(rewrite);
  // The only variable the container has: its pod name, from the downward API.
  expect(container.env).toEqual([{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);

  const describe = async (broker: Running) => {
    const admin = new Admin({ clientId: 'datastore-commands', bootstrapBrokers: [`127.0.0.1:${port}`], retries: 2 });
    try {
      return await waitFor(
        'the broker to answer a metadata request',
        async () => {
          if (broker.child.exitCode !== null)
            throw new Error(`start.sh exited ${broker.child.exitCode}:\n${broker.output()}`);
          // Fresh each time: the broker answers with its cluster id, brokers and controller.
          return await admin.metadata({ topics: [], forceUpdate: true });
        },
        120_000,
        1000,
      );
    } catch (err) {
      throw new Error(`${String(err)}\n--- start.sh output:\n${broker.output()}`);
    } finally {
      await admin.close();
    }
  };

  const first = run(argv, { POD_NAME: pod });
  started.push(first);
  const cluster = await describe(first);
  expect(cluster.id).toBe(kafkaClusterId(lp.metadata.uid));
  expect([...cluster.brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port }))).toEqual([
    { nodeId: 0, host: '127.0.0.1', port },
  ]);
  expect(cluster.controllerId).toBe(0);
  // The format wrote the derived id into the log directory; the restart below must leave that file alone.
  const meta = join(dir, 'data/logs/meta.properties');
  const formatted = readFileSync(meta, 'utf8');
  expect(formatted).toContain(`cluster.id=${kafkaClusterId(lp.metadata.uid)}\n`);
  expect(formatted).toContain('node.id=0\n');
  const formattedAt = statSync(meta).mtimeMs;
  const rendered = readFileSync(join(dir, 'rendered/server.properties'), 'utf8');
  expect(rendered).toContain('\nnode.id=0\n');
  expect(rendered).toContain(`\nadvertised.listeners=PLAINTEXT://127.0.0.1:${port}\n`);

  // A restart finds the formatted log directory, skips the format and comes back as the same cluster.
  process.kill(-first.child.pid!, 'SIGTERM');
  await first.exited;
  const second = run(argv, { POD_NAME: pod });
  started.push(second);
  expect((await describe(second)).id).toBe(kafkaClusterId(lp.metadata.uid));
  expect(statSync(meta).mtimeMs).toBe(formattedAt);
  expect(readFileSync(meta, 'utf8')).toBe(formatted);
}, 300_000);

test("Postgres: the operator's init script and command serve the pipeline's role with its password and refuse others", async () => {
  const dir = join(work, 'postgres');
  const port = await freePort();
  const pgBin = postgresBin();
  const rewrite = rewriter(
    {
      [POSTGRES_PATHS.config]: join(dir, 'config'),
      [POSTGRES_PATHS.secret]: join(dir, 'secret'),
      [POSTGRES_PATHS.volume]: join(dir, 'volume'),
      [POSTGRES_PATHS.socket]: join(dir, 'run'),
    },
    [[/listen_addresses = '\*'/, "listen_addresses = '127.0.0.1'"]],
    { [POSTGRES_PORT]: port },
  );
  writeConfig(configMap(n.postgresConfig), join(dir, 'config'), rewrite);
  // The Secret the operator renders, its password key as the pod's secret volume has it.
  const secret = find('Secret', n.postgresSecret) as { data: Record<string, string> };
  const password = Buffer.from(secret.data.password!, 'base64').toString('utf8');
  writeConfig({ password }, join(dir, 'secret'), (s) => s);
  for (const d of ['volume', 'run']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  if (pgIds) execFileSync('chown', ['-R', `${pgIds.uid}:${pgIds.gid}`, dir]);

  const spec = podSpec(n.postgres);
  const init = spec.initContainers![0]!;
  const server = spec.containers[0]!;
  const env = { PATH: `${pgBin}:/usr/local/bin:/usr/bin:/bin` };
  for (const c of [init, server]) expect(c.env ?? []).toEqual([]);
  const url = (user: string, pw: string) =>
    `postgres://${user}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${lp.spec.postgres.database}`;
  const query = async (u: string) => {
    const client = new pg.Client({ connectionString: u, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query('SELECT current_user AS "user", current_database() AS db')).rows[0] as object;
    } finally {
      await client.end();
    }
  };
  const start = async () => {
    await runToEnd(command(init).map(rewrite), env, { pgUser: true });
    const r = run(command(server).map(rewrite), env, { pgUser: true });
    started.push(r);
    try {
      await waitFor('postgres to accept the pipeline role', () => query(url(POSTGRES_USER, password)), 60_000, 500);
    } catch (err) {
      throw new Error(`${String(err)}\n--- postgres output:\n${r.output()}`);
    }
    return r;
  };
  const refusal = (u: string) =>
    query(u).then(
      () => 'accepted',
      (err: { code?: string }) => err.code,
    );

  const first = await start();
  expect(await query(url(POSTGRES_USER, password))).toEqual({ user: POSTGRES_USER, db: lp.spec.postgres.database });
  expect(await refusal(url(POSTGRES_USER, 'not-the-password'))).toBe('28P01'); // invalid_password
  // The superuser has no password and no TCP line in pg_hba.conf: refused before any password is asked.
  expect(await refusal(url(POSTGRES_SUPERUSER, ''))).toBe('28000'); // invalid_authorization_specification
  // The probes run as the kubelet would run them, in the container.
  for (const probe of [server.readinessProbe!, server.livenessProbe!]) {
    await runToEnd(probe.exec!.command!.map(rewrite), env, { pgUser: true });
  }
  // The role is the database's owner, not a superuser.
  const client = new pg.Client({ connectionString: url(POSTGRES_USER, password) });
  await client.connect();
  const { rows } = await client.query<{ rolsuper: boolean }>(
    'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
  );
  await client.end();
  expect(rows).toEqual([{ rolsuper: false }]);

  // The preStop hook stops it (fast shutdown); the init script then takes the existing data directory as it is.
  await runToEnd(server.lifecycle!.preStop!.exec!.command!.map(rewrite), env, { pgUser: true });
  expect(await first.exited).toBe(0);
  await start();
  expect(await query(url(POSTGRES_USER, password))).toEqual({ user: POSTGRES_USER, db: lp.spec.postgres.database });
  expect(await refusal(url(POSTGRES_USER, 'not-the-password'))).toBe('28P01');
}, 300_000);

test("Redis: the operator's redis.conf and command start a cluster-enabled node", async () => {
  const dir = join(work, 'redis');
  const port = await freeRedisPort();
  const container = podSpec(n.redis).containers[0]!;
  const rewrite = rewriter(
    { '/etc/redis': join(dir, 'config'), '/data': join(dir, 'data') },
    [
      [new RegExp(`\\$\\(POD_NAME\\)\\.${n.redis}\\.${lp.metadata.namespace}\\.svc`, 'g'), '127.0.0.1'],
      [/^bind 0\.0\.0\.0$/m, 'bind 127.0.0.1'],
    ],
    { [REDIS_PORT]: port },
  );
  writeConfig(configMap(n.redisConfig), join(dir, 'config'), rewrite);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const r = run(command(container).map(rewrite), {});
  started.push(r);
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await waitFor('redis-server to answer', async () => (await redis.ping()) === 'PONG', 30_000, 250).catch((err) => {
      throw new Error(`${String(err)}\n--- redis-server output:\n${r.output()}`);
    });
    expect(await redis.info('cluster')).toContain('cluster_enabled:1');
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', lp.spec.redis.evictionPolicy]);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
  } finally {
    redis.disconnect();
  }
}, 120_000);
