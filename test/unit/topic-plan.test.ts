import { planTopic, type ObservedTopic, type TopicSpec } from '@likepipe/ops';

const spec: TopicSpec = { topic: 'like-events', partitions: 12, replicationFactor: 3, minInsyncReplicas: 2 };
const matching: ObservedTopic = {
  partitions: 12,
  replicationFactor: 3,
  minInsyncReplicas: 2,
  overrides: { 'min.insync.replicas': '2' },
};

describe('planTopic', () => {
  it('creates a missing topic with its partitions, replication factor and min.insync.replicas', () => {
    expect(planTopic(spec, undefined)).toEqual({
      actions: [
        {
          kind: 'create-topic',
          topic: 'like-events',
          partitions: 12,
          replicationFactor: 3,
          configs: { 'min.insync.replicas': '2' },
        },
      ],
      warnings: [],
    });
  });

  it('does nothing when the topic already matches (idempotent)', () => {
    expect(planTopic(spec, matching)).toEqual({ actions: [], warnings: [] });
  });

  it('does nothing when min.insync.replicas matches through the broker default rather than an override', () => {
    expect(planTopic(spec, { ...matching, overrides: {} })).toEqual({ actions: [], warnings: [] });
  });

  it('adds partitions up to the asked count', () => {
    expect(planTopic(spec, { ...matching, partitions: 6 }).actions).toEqual([
      { kind: 'add-partitions', topic: 'like-events', from: 6, to: 12 },
    ]);
  });

  it('never asks Kafka to reduce partitions: warns and leaves the topic alone', () => {
    const plan = planTopic(spec, { ...matching, partitions: 24 });
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([expect.stringMatching(/has 24 partitions.*Kafka cannot reduce partitions/)]);
  });

  it('sets min.insync.replicas when it differs, keeping the other overrides (AlterConfigs replaces them all)', () => {
    const plan = planTopic(spec, {
      ...matching,
      minInsyncReplicas: 1,
      overrides: { 'min.insync.replicas': '1', 'retention.ms': '86400000' },
    });
    expect(plan.actions).toEqual([
      {
        kind: 'set-configs',
        topic: 'like-events',
        changed: [{ name: 'min.insync.replicas', from: '1', to: '2' }],
        configs: { 'min.insync.replicas': '2', 'retention.ms': '86400000' },
      },
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('pins min.insync.replicas on the topic when only the broker default disagrees', () => {
    const plan = planTopic(spec, { ...matching, minInsyncReplicas: 1, overrides: { 'cleanup.policy': 'delete' } });
    expect(plan.actions).toEqual([
      {
        kind: 'set-configs',
        topic: 'like-events',
        changed: [{ name: 'min.insync.replicas', from: '1', to: '2' }],
        configs: { 'cleanup.policy': 'delete', 'min.insync.replicas': '2' },
      },
    ]);
  });

  it('does not raise min.insync.replicas above the replicas the topic really has (acks=all would always fail)', () => {
    const plan = planTopic(spec, { ...matching, replicationFactor: 1, minInsyncReplicas: 1, overrides: {} });
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([
      expect.stringMatching(/replication factor 1, not 3.*reassignment/),
      expect.stringMatching(/keeps min\.insync\.replicas=1: 2 is more than its 1 replicas/),
    ]);
  });

  it('only warns about a different replication factor', () => {
    const plan = planTopic(spec, { ...matching, replicationFactor: 5 });
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([expect.stringMatching(/replication factor 5, not 3/)]);
  });

  it('grows partitions and fixes the config in one plan, partitions first', () => {
    const plan = planTopic(spec, { ...matching, partitions: 3, minInsyncReplicas: 3 });
    expect(plan.actions.map((a) => a.kind)).toEqual(['add-partitions', 'set-configs']);
  });
});
