import { specSchema, statusSchema } from '@likepipe/operator/api/crd.js';
import type { FromSchema } from '@likepipe/operator/api/schema.js';
import type { Condition, LikePipelineSpec, LikePipelineStatus } from '@likepipe/operator/api/types.js';

/**
 * The operator's types of the resource come from the CRD schema (api/crd.ts) through FromSchema. These checks
 * run when `tsc -b` type-checks the tests: an `Equal` that does not hold fails the build, so the mapper and
 * the schema cannot silently disagree with what the controller reads.
 */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const holds = <T extends true>(value: T): T => value;
type Present<T, K extends keyof T> = undefined extends T[K] ? false : true;

describe('operator: the resource is described once (CRD schema → TypeScript)', () => {
  test('FromSchema: required or defaulted properties are present, the others optional; enums, maps, int-or-string', () => {
    const schema = {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        replicas: { type: 'integer', default: 1 },
        enabled: { type: 'boolean' },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        quantity: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        anything: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        hosts: { type: 'array', items: { type: 'string' } },
        nested: { type: 'object', default: {}, properties: { ratio: { type: 'number', default: 1 } } },
      },
    } as const;
    const ok = holds<
      Equal<
        FromSchema<typeof schema>,
        {
          name: string;
          replicas: number;
          mode: 'a' | 'b';
          nested: { ratio: number };
          enabled?: boolean;
          quantity?: number | string;
          labels?: { [key: string]: string };
          anything?: { [key: string]: unknown };
          hosts?: string[];
        }
      >
    >(true);
    expect(ok).toBe(true);
    expect(schema.required).toEqual(['name']);
  });

  test('LikePipeline: defaulted fields are never undefined, fields without a default are optional', () => {
    type S = LikePipelineSpec;
    const checks = [
      holds<Equal<S['kafka']['mode'], 'builtin' | 'strimzi' | 'external'>>(true),
      holds<Present<S, 'redis'>>(true),
      holds<Present<S['redis'], 'storage'>>(true),
      holds<Present<S['api'], 'jwtSecretRef'>>(true),
      holds<Present<S['api']['jwtSecretRef'], 'key'>>(true),
      holds<Equal<Present<S['api'], 'image'>, false>>(true),
      holds<Equal<Present<S['consumers']['notifier'], 'webhookSecretRef'>, false>>(true),
      holds<Equal<S['consumers']['feedRanker']['hotCandidates'], number>>(true),
      holds<Equal<NonNullable<S['redis']['resources']>['requests'], { [key: string]: string | number } | undefined>>(
        true,
      ),
      holds<Equal<S['podSecurityContext'], { [key: string]: unknown } | undefined>>(true),
      holds<Equal<NonNullable<LikePipelineStatus['phase']>, 'Provisioning' | 'Ready' | 'Degraded' | 'Failed'>>(true),
      holds<Equal<Condition['status'], 'True' | 'False' | 'Unknown'>>(true),
    ];
    expect(checks.every(Boolean)).toBe(true);
    // …and the values behind them are the schema's.
    expect(specSchema.properties.kafka.properties.mode.enum).toEqual(['builtin', 'strimzi', 'external']);
    expect(statusSchema.properties.phase.enum).toEqual(['Provisioning', 'Ready', 'Degraded', 'Failed']);
    expect(specSchema.required).toEqual(['api']);
  });
});
