import { specSchema } from './crd.js';
import type { JsonSchema } from './schema.js';

/**
 * The field reference of a LikePipeline as Markdown, made from the same schema the API server enforces, so
 * the docs cannot drift from it (`npm run gen:crd` writes docs/likepipeline-reference.md; a test checks it).
 */
export function crdReference(): string {
  const rows: string[] = [];
  const walk = (schema: JsonSchema, path: string, required: boolean) => {
    const props = schema.properties;
    const type = schema.type === 'array' ? `[]${schema.items?.type ?? ''}` : (schema.type ?? 'int or string');
    if (path) {
      const rules: string[] = [];
      if (required) rules.push('required');
      if (schema.enum) rules.push(`one of ${schema.enum.map((e) => `\`${e}\``).join(', ')}`);
      if (schema.minimum !== undefined) rules.push(`${String(schema.minimum)}–${String(schema.maximum)}`);
      if (schema.pattern) rules.push(`matches \`${schema.pattern.replace(/\|/g, '\\|')}\``);
      const scalarDefault =
        schema.default !== undefined && (typeof schema.default !== 'object' || Array.isArray(schema.default));
      const def = scalarDefault ? `\`${JSON.stringify(schema.default)}\`` : '';
      const desc = (schema.description ?? '').replace(/\|/g, '\\|');
      const cel = (schema['x-kubernetes-validations'] ?? []).map((r) => r.message);
      rows.push(
        `| \`${path}\` | ${type} | ${def} | ${[desc, ...rules.map((r) => `(${r})`), ...cel.map((m) => `Rule: ${m}.`)].join(' ').trim()} |`,
      );
    }
    if (props && !schema['x-kubernetes-preserve-unknown-fields']) {
      const req = new Set(schema.required ?? []);
      for (const [k, v] of Object.entries(props)) {
        if (path.endsWith('resources') || path.endsWith('imagePullSecrets')) continue;
        walk(v, path ? `${path}.${k}` : k, req.has(k));
      }
    }
  };
  walk(specSchema, '', false);
  return [
    '<!-- Generated from operator/src/api/crd.ts by `npm run gen:crd`. Do not edit by hand. -->',
    '# LikePipeline spec reference (likepipe.io/v1alpha1)',
    '',
    'Every field of `spec`, its type, default, limits and the rules the API server enforces when you apply it.',
    '`resources` fields are core/v1 ResourceRequirements (`requests`, `limits`).',
    '',
    '| field | type | default | what it does |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
