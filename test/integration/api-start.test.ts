import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { call, createPost, env, like, uid, waitFor } from '../support/stack.js';
import { pipeServer } from '../support/tcp-pipe.js';

/**
 * A like-API that starts before Kafka is reachable (on Kubernetes: its pod beside a broker still starting) must
 * wait for it, listening and not ready, rather than exit: exits put a pod in the kubelet's crash-loop backoff,
 * which grows to minutes. The Kafka here is the stack's, behind a TCP forward that opens only later.
 */
const MAIN = fileURLToPath(new URL('../../apps/pipeline/dist/main.js', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('a like-API started before Kafka', () => {
  let api: ChildProcess | undefined;
  let forward: Server | undefined;
  let output = '';

  afterAll(async () => {
    if (api && api.exitCode === null) {
      api.kill('SIGTERM');
      await once(api, 'exit');
    }
    await new Promise((r) => (forward ? forward.close(r) : r(undefined)));
  });

  it('listens not ready, keeps waiting, and serves likes once Kafka can be reached', async () => {
    const [apiPort, kafkaPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${apiPort}`;
    api = spawn(process.execPath, [MAIN, 'like-api'], {
      env: {
        ...process.env,
        ...env,
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        LIKEPIPE_API_PORT: String(apiPort),
        LIKEPIPE_API_WORKERS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    api.stderr!.on('data', (b: Buffer) => (output += b.toString()));

    // Alive and saying why it is not ready; and still so after several failed attempts to reach Kafka.
    await waitFor(
      'the like-API to listen',
      async () => (await call('GET', '/healthz', { base }).catch(() => undefined))?.status === 200,
      30_000,
    );
    await waitFor(
      'two failed attempts to reach Kafka',
      async () => (output.match(/kafka not reachable yet/g) ?? []).length >= 2,
      30_000,
    );
    const notReady = await call('GET', '/readyz', { base });
    expect(notReady.status).toBe(503);
    expect(JSON.stringify(notReady.body)).toMatch(/kafka/i);
    expect(api.exitCode).toBeNull();

    // Kafka becomes reachable at the address it was given.
    const [host, port] = env.KAFKA_BROKERS!.split(',')[0]!.split(':');
    forward = pipeServer(() => connect(Number(port), host));
    forward.listen(kafkaPort, '127.0.0.1');
    await once(forward, 'listening');
    await waitFor(
      'the like-API to be ready',
      async () => (await call('GET', '/readyz', { base })).status === 200,
      30_000,
    );

    const post = await createPost();
    const r = await like(uid('fan'), post, { base });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ postId: post, liked: true, changed: true, likeCount: 1 });
  }, 90_000);
});
