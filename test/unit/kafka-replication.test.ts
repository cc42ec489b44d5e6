import { likePipelineCrd } from '@likepipe/operator/api/crd.js';
import { roleDefault } from '@likepipe/operator/api/role-default.js';
import type { KafkaSpec } from '@likepipe/operator/api/types.js';
import { kafkaReplication } from '@likepipe/operator/desired/kafka-replication.js';

type Input = Parameters<typeof kafkaReplication>[0];
const at = (mode: KafkaSpec['mode'], brokers: number, set: Partial<Input> = {}) =>
  kafkaReplication({ mode, brokers, ...set });

describe('operator: the topic replication, as set or derived from the brokers', () => {
  test.each(['builtin', 'strimzi'] as const)('%s: min(3, brokers) copies, min ISR 2 from 3 copies up', (mode) => {
    expect([1, 2, 3, 4, 9].map((b) => at(mode, b))).toEqual([
      { replicationFactor: 1, minInSyncReplicas: 1 },
      { replicationFactor: 2, minInSyncReplicas: 1 },
      { replicationFactor: 3, minInSyncReplicas: 2 },
      { replicationFactor: 3, minInSyncReplicas: 2 },
      { replicationFactor: 3, minInSyncReplicas: 2 },
    ]);
  });

  test("external: the contract's default whatever brokers says, since the operator cannot see that cluster", () => {
    const rf = roleDefault('ensure-topic', 'LIKEPIPE_KAFKA_REPLICATION_FACTOR');
    for (const brokers of [1, 3, 9]) {
      expect(at('external', brokers)).toEqual({ replicationFactor: rf, minInSyncReplicas: rf >= 3 ? 2 : 1 });
    }
    // An explicit factor still picks the min ISR that goes with it.
    expect(at('external', 1, { replicationFactor: 3 })).toEqual({ replicationFactor: 3, minInSyncReplicas: 2 });
    expect(at('external', 1, { replicationFactor: 5 })).toEqual({ replicationFactor: 5, minInSyncReplicas: 2 });
  });

  test.each(['builtin', 'strimzi', 'external'] as const)('%s: explicit values always win', (mode) => {
    expect(at(mode, 3, { replicationFactor: 1 })).toEqual({ replicationFactor: 1, minInSyncReplicas: 1 });
    expect(at(mode, 3, { replicationFactor: 2 })).toEqual({ replicationFactor: 2, minInSyncReplicas: 1 });
    expect(at(mode, 3, { minInSyncReplicas: 1 })).toEqual({
      replicationFactor: mode === 'external' ? 1 : 3,
      minInSyncReplicas: 1,
    });
    expect(at(mode, 5, { replicationFactor: 5, minInSyncReplicas: 3 })).toEqual({
      replicationFactor: 5,
      minInSyncReplicas: 3,
    });
  });

  test('the CRD leaves both fields without a default, says the derivation, and its rules use has()', () => {
    const kafka = likePipelineCrd().spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.kafka;
    const { replicationFactor: rf, minInSyncReplicas: isr } = kafka.properties;
    expect('default' in rf).toBe(false);
    expect('default' in isr).toBe(false);
    expect('replicationFactor' in kafka.default).toBe(false);
    expect(rf.description).toContain('Unset: in builtin and strimzi modes the brokers, up to 3');
    expect(rf.description).toContain('in external mode 1');
    expect(isr.description).toContain('Unset: 2 when the replication factor is 3 or more, else 1');
    const rules = kafka['x-kubernetes-validations'].map((r) => r.rule).filter((r) => /replicationFactor/.test(r));
    expect(rules).toHaveLength(2);
    for (const r of rules) expect(r).toMatch(/has\(self\.(minInSyncReplicas|replicationFactor)\)/);
  });
});
