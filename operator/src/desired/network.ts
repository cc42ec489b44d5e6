import type { V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import type { LikePipeline } from '../api/types.js';
import type { NetworkPolicy, NetworkPolicyIngressRule } from '../kube/objects.js';
import { KAFKA_CONTROLLER_PORT, KAFKA_PORT, POSTGRES_PORT, REDIS_PORT } from './connections.js';
import { DATA_CLIENT_LABEL, names, objectMeta, PIPELINE_LABEL, selectorLabels } from './meta.js';

/**
 * One NetworkPolicy per builtin data store: only the pipeline's own pods (API, consumers, keeper) and the
 * store's peers (cluster bus, KRaft quorum) get in. Strimzi and CloudNativePG write their own policies.
 */
export function networkPolicies(lp: LikePipeline): NetworkPolicy[] {
  if (!lp.spec.networkPolicies.enabled) return [];
  const n = names(lp);
  const clients: V1NetworkPolicyPeer = {
    podSelector: { matchLabels: { [PIPELINE_LABEL]: lp.metadata.name, [DATA_CLIENT_LABEL]: 'true' } },
  };
  const peers = (component: 'redis' | 'kafka'): V1NetworkPolicyPeer => ({
    podSelector: { matchLabels: selectorLabels(lp, component) },
  });
  const tcp = (port: number): V1NetworkPolicyPort => ({ protocol: 'TCP', port });
  const policy = (
    name: string,
    component: 'redis' | 'kafka' | 'postgres',
    ingress: NetworkPolicyIngressRule[],
  ): NetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(lp, name, 'network'),
    spec: { podSelector: { matchLabels: selectorLabels(lp, component) }, policyTypes: ['Ingress'], ingress },
  });
  const out: NetworkPolicy[] = [];
  if (lp.spec.redis.mode === 'builtin') {
    out.push(
      policy(`${n.redis}-ingress`, 'redis', [
        { from: [clients, peers('redis')], ports: [tcp(REDIS_PORT)] },
        { from: [peers('redis')], ports: [tcp(REDIS_PORT + 10000)] },
      ]),
    );
  }
  if (lp.spec.kafka.mode === 'builtin') {
    out.push(
      policy(`${n.kafka}-ingress`, 'kafka', [
        { from: [clients, peers('kafka')], ports: [tcp(KAFKA_PORT)] },
        { from: [peers('kafka')], ports: [tcp(KAFKA_CONTROLLER_PORT)] },
      ]),
    );
  }
  if (lp.spec.postgres.mode === 'builtin') {
    out.push(policy(`${n.postgres}-ingress`, 'postgres', [{ from: [clients], ports: [tcp(POSTGRES_PORT)] }]));
  }
  return out;
}
