import { createServer, connect, type Server } from 'node:net';
import { loadEnsureTopicConfig } from '@likepipe/pipeline/config.js';
import { createLogger } from '@likepipe/pipeline/observability/logger.js';
import { EnsureTopicError } from '@likepipe/pipeline/errors/ensure-topic-error.js';
import { ensureTopic } from '@likepipe/pipeline/roles/ensure-topic.js';
import { ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import { closeClients, env, testKafka, uid } from '../support/stack.js';

/** ensure-topic against the test stack's real Kafka, each run on topics of its own. */
const topic = uid('ensure-topic');
const otherTopics: string[] = [];
const log = createLogger('ensure-topic-test', 'error');
const config = (over: Record<string, string> = {}) =>
  loadEnsureTopicConfig({
    KAFKA_BROKERS: env.KAFKA_BROKERS!,
    LIKEPIPE_KAFKA_TOPIC: topic,
    LIKEPIPE_KAFKA_PARTITIONS: '4',
    LIKEPIPE_ENSURE_TOPIC_TIMEOUT_MS: '30000',
    ...over,
  });

const kafka = testKafka('ensure-topic-test');
const admin = kafka.admin();

async function inspect(name: string): Promise<{ partitions: number; configs: Record<string, string> }> {
  const meta = await admin.metadata({ topics: [name], forceUpdate: true });
  const [resource] = await admin.describeConfigs({
    resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }],
    includeSynonyms: false,
  });
  const configs: Record<string, string> = {};
  for (const e of resource!.configs) {
    if (e.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG) configs[e.name] = e.value!;
  }
  return { partitions: meta.topics.get(name)!.partitionsCount, configs };
}

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic, ...otherTopics] }).catch(() => undefined);
  await admin.close();
  await closeClients();
});

describe('ensure-topic', () => {
  it('creates a missing topic with its partitions and min.insync.replicas', async () => {
    const r = await ensureTopic(config(), log);
    expect(r.actions).toEqual([
      {
        kind: 'create-topic',
        topic,
        partitions: 4,
        replicationFactor: 1,
        configs: { 'min.insync.replicas': '1' },
      },
    ]);
    expect(r.observed).toMatchObject({ partitions: 4, replicationFactor: 1, minInsyncReplicas: 1 });
    expect(await inspect(topic)).toEqual({ partitions: 4, configs: { 'min.insync.replicas': '1' } });
  });

  it('changes nothing when run again', async () => {
    const r = await ensureTopic(config(), log);
    expect(r.actions).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect((await inspect(topic)).partitions).toBe(4);
  });

  it('grows the partitions when more are asked for', async () => {
    const r = await ensureTopic(config({ LIKEPIPE_KAFKA_PARTITIONS: '8' }), log);
    expect(r.actions).toEqual([{ kind: 'add-partitions', topic, from: 4, to: 8 }]);
    expect((await inspect(topic)).partitions).toBe(8);
  });

  it('leaves the topic alone, exit 0, when fewer partitions are asked for', async () => {
    const r = await ensureTopic(config({ LIKEPIPE_KAFKA_PARTITIONS: '2' }), log);
    expect(r.actions).toEqual([]);
    expect(r.warnings).toEqual([expect.stringMatching(/has 8 partitions.*Kafka cannot reduce partitions/)]);
    expect((await inspect(topic)).partitions).toBe(8);
  });

  it('sets min.insync.replicas back when it differs, keeping the topic’s other configs', async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configs: [
            { name: 'min.insync.replicas', value: '2' },
            { name: 'retention.ms', value: '3600000' },
          ],
        },
      ],
    });
    const r = await ensureTopic(config({ LIKEPIPE_KAFKA_PARTITIONS: '8' }), log);
    expect(r.actions).toEqual([
      expect.objectContaining({ kind: 'set-configs', changed: [{ name: 'min.insync.replicas', from: '2', to: '1' }] }),
    ]);
    expect((await inspect(topic)).configs).toEqual({ 'min.insync.replicas': '1', 'retention.ms': '3600000' });
    expect((await ensureTopic(config({ LIKEPIPE_KAFKA_PARTITIONS: '8' }), log)).actions).toEqual([]);
  });

  it('fails at once, saying why, when Kafka refuses the topic (replication factor above the brokers)', async () => {
    const brokerCount = env.KAFKA_BROKERS!.split(',').length;
    const name = uid('ensure-topic-rf');
    otherTopics.push(name);
    const t0 = Date.now();
    const err = await ensureTopic(
      config({
        LIKEPIPE_KAFKA_TOPIC: name,
        // One more replica than the stack has brokers (1 or 3).
        LIKEPIPE_KAFKA_REPLICATION_FACTOR: String(brokerCount + 1),
        LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS: '2',
      }),
      log,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnsureTopicError);
    expect((err as EnsureTopicError).retriable).toBe(false);
    expect((err as Error).message).toMatch(
      new RegExp(
        `refused to create 4 partitions with replication factor ${brokerCount + 1} for topic ${name}: .*[Rr]eplication.factor`,
      ),
    );
    expect(Date.now() - t0).toBeLessThan(15_000); // not retried until the 30 s timeout
  });

  it('waits for a broker that is not up yet (as an initContainer starting before Kafka)', async () => {
    const name = uid('ensure-topic-late');
    otherTopics.push(name);
    // A port where Kafka "starts" 2 s later: a plain TCP relay to the real broker, opened late. After the
    // first metadata answer, the client talks to the advertised broker address directly.
    const [host, port] = env.KAFKA_BROKERS!.split(',')[0]!.split(':') as [string, string];
    const late = await freePort();
    let relay: Server | undefined;
    const opening = new Promise<void>((resolve) =>
      setTimeout(() => {
        relay = createServer((socket) => {
          const upstream = connect(Number(port), host);
          socket.pipe(upstream).pipe(socket);
          socket.on('error', () => upstream.destroy());
          upstream.on('error', () => socket.destroy());
        }).listen(late, '127.0.0.1', resolve);
      }, 2_000),
    );
    try {
      const t0 = Date.now();
      const r = await ensureTopic(config({ KAFKA_BROKERS: `127.0.0.1:${late}`, LIKEPIPE_KAFKA_TOPIC: name }), log);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
      expect(r.actions.map((a) => a.kind)).toEqual(['create-topic']);
      expect((await inspect(name)).partitions).toBe(4);
    } finally {
      await opening;
      relay?.close();
    }
  });

  it('gives up after LIKEPIPE_ENSURE_TOPIC_TIMEOUT_MS when no broker ever answers, naming the brokers', async () => {
    const dead = await freePort();
    const t0 = Date.now();
    const err = await ensureTopic(
      config({ KAFKA_BROKERS: `127.0.0.1:${dead}`, LIKEPIPE_ENSURE_TOPIC_TIMEOUT_MS: '1500' }),
      log,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnsureTopicError);
    expect((err as EnsureTopicError).retriable).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${dead} was not usable within 1500 ms`));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
