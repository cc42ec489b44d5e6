/**
 * The subset of OpenAPI v3 / JSON Schema a CRD's structural schema uses here, and `FromSchema`, which turns a
 * schema written `as const`-precise (api/crd.ts) into the TypeScript type of the objects it admits, as the
 * operator reads them: after the API server has applied the defaults. So the resource is described once, in
 * the schema the API server enforces, and the operator's types cannot drift from it.
 */
export interface JsonSchema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly description?: string;
  readonly properties?: { readonly [name: string]: JsonSchema };
  readonly required?: readonly string[];
  readonly additionalProperties?: JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly (string | number)[];
  readonly anyOf?: readonly JsonSchema[];
  readonly default?: unknown;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly maxLength?: number;
  readonly maxProperties?: number;
  readonly pattern?: string;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

/** A CEL validation rule (x-kubernetes-validations). */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  readonly fieldPath?: string;
}

/**
 * The type of the values `S` admits, defaults applied:
 * - a property is present (not optional) when the schema requires it or gives it a default, since the API
 *   server fills defaults in before anyone reads the object; every other property is optional;
 * - `enum` gives a union of its literals; x-kubernetes-int-or-string gives `number | string`;
 * - an object with `properties` gives exactly those fields; with `additionalProperties`, a map; with neither
 *   (x-kubernetes-preserve-unknown-fields), `{ [key: string]: unknown }`.
 * The result is mutable: the operator's tests build specs and change them.
 */
export type FromSchema<S> = S extends { readonly 'x-kubernetes-int-or-string': true }
  ? number | string
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly type: 'string' }
      ? string
      : S extends { readonly type: 'integer' | 'number' }
        ? number
        : S extends { readonly type: 'boolean' }
          ? boolean
          : S extends { readonly type: 'array'; readonly items: infer I }
            ? FromSchema<I>[]
            : S extends { readonly type: 'object'; readonly properties: infer P }
              ? ObjectFromSchema<P, RequiredNames<S>>
              : S extends { readonly type: 'object'; readonly additionalProperties: infer A }
                ? { [key: string]: FromSchema<A> }
                : S extends { readonly type: 'object' }
                  ? { [key: string]: unknown }
                  : unknown;

type RequiredNames<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;
type Defaulted<P> = { [K in keyof P]: P[K] extends { readonly default: unknown } ? K : never }[keyof P];
type Present<P, R> = Extract<keyof P, R | Defaulted<P>>;

type ObjectFromSchema<P, R> = Flatten<
  { -readonly [K in Present<P, R>]-?: FromSchema<P[K]> } & {
    -readonly [K in Exclude<keyof P, Present<P, R>>]?: FromSchema<P[K]>;
  }
>;
type Flatten<T> = { [K in keyof T]: T[K] };
