import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { specSchema } from '@likepipe/operator/api/crd.js';
import type { JsonSchema } from '@likepipe/operator/api/schema.js';
import type { LikePipeline } from '@likepipe/operator/api/types.js';
import type { Observed } from '@likepipe/operator/desired/index.js';

/**
 * LikePipelines as the operator reads them, for unit tests: a manifest with the API server's defaulting
 * applied from the CRD's own schema (a missing property with a default gets it, then defaulting descends
 * into every object present), so fixtures cannot drift from the CRD.
 */
export function withDefaults<T>(schema: JsonSchema, value: T): T {
  if (schema.type === 'object' && schema.properties && value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const [k, s] of Object.entries(schema.properties)) {
      if (obj[k] === undefined && s.default !== undefined) obj[k] = structuredClone(s.default);
      if (obj[k] !== undefined) withDefaults(s, obj[k]);
    }
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value)) {
    for (const item of value) withDefaults(schema.items, item);
  }
  return value;
}

export const EXAMPLES = ['small.yaml', 'production.yaml'] as const;

/** charts/likepipe-operator/examples/<file>, applied in namespace `prod`, defaults filled in. */
export function examplePipeline(file: (typeof EXAMPLES)[number]): LikePipeline {
  const doc = yaml.load(
    readFileSync(new URL(`../../charts/likepipe-operator/examples/${file}`, import.meta.url), 'utf8'),
  ) as Pick<LikePipeline, 'apiVersion' | 'kind' | 'metadata' | 'spec'>;
  return {
    ...doc,
    metadata: { ...doc.metadata, namespace: 'prod', uid: '0b7a4a6c-1111-4222-8333-944445555666', generation: 1 },
    spec: withDefaults(specSchema, doc.spec),
  };
}

/** What the controller would observe with every optional CRD installed and every referenced Secret present. */
export function observedEverything(lp: LikePipeline): Observed {
  const secrets: Observed['secrets'] = {};
  const refs = [
    lp.spec.api.jwtSecretRef,
    lp.spec.consumers.notifier.webhookSecretRef,
    lp.spec.postgres.external?.urlSecretRef,
  ];
  for (const ref of refs) if (ref) secrets[ref.name] = [...(secrets[ref.name] ?? []), ref.key];
  return {
    crds: { strimzi: true, cnpg: true, keda: true, serviceMonitor: true, prometheusRule: true },
    postgresPassword: 'generated-password',
    secrets,
  };
}
