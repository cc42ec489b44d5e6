/**
 * LikePipeline, likepipe.io/v1alpha1: the shape of the custom resource as the operator reads it, derived from
 * the CRD's schema in crd.ts (the one description of the resource; FromSchema is in schema.ts). The API server
 * fills every default before the operator sees an object, so fields with a default are never undefined here.
 */
import type { specSchema, statusSchema } from './crd.js';
import type { FromSchema } from './schema.js';

export const GROUP = 'likepipe.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'LikePipeline';
export const PLURAL = 'likepipelines';

export type LikePipelineSpec = FromSchema<typeof specSchema>;
export type LikePipelineStatus = FromSchema<typeof statusSchema>;

type Spec = LikePipelineSpec;
export type SecretKeyRef = Spec['api']['jwtSecretRef'];
/** A core/v1 ResourceRequirements as the spec admits it: quantities are strings or integers. */
export type ResourceRequirements = NonNullable<Spec['api']['resources']>;
export type Storage = Spec['redis']['storage'];
export type RedisSpec = Spec['redis'];
export type KafkaSpec = Spec['kafka'];
export type PostgresSpec = Spec['postgres'];
export type ApiSpec = Spec['api'];
export type ConsumersSpec = Spec['consumers'];
/** What every lag-scaled consumer role has (the notifier and feed-ranker add fields of their own). */
export type LagScaledConsumer = ConsumersSpec['truthWriter'];
export type ReconcilerSpec = ConsumersSpec['reconciler'];
export type TracingSpec = Spec['monitoring']['tracing'];

export type Condition = NonNullable<LikePipelineStatus['conditions']>[number];
export type Phase = NonNullable<LikePipelineStatus['phase']>;

export interface LikePipeline {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    // Typed as client-node types it; from a watch it is really a string. Only its presence is ever read.
    deletionTimestamp?: Date;
    finalizers?: string[];
  };
  spec: LikePipelineSpec;
  status?: LikePipelineStatus;
}

/** The component conditions, each rolled up into Ready. */
export const COMPONENT_CONDITIONS = [
  'RedisReady',
  'KafkaReady',
  'PostgresReady',
  'ApiReady',
  'ConsumersReady',
] as const;
export type ComponentCondition = (typeof COMPONENT_CONDITIONS)[number];
/** Every condition type: the components' and their roll-up. */
export type ConditionType = 'Ready' | ComponentCondition;
