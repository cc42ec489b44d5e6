import yaml from 'js-yaml';
import { likePipelineCrd } from './crd.js';

/** The CRD as the YAML file the Helm chart ships. */
export const crdYaml = () =>
  '# Generated from operator/src/api/crd.ts by `npm run gen:crd`. Do not edit by hand.\n' +
  // js-yaml directly: client-node's dumpYaml maps through its typed models and drops `default` and every
  // x-kubernetes-* key of the schema.
  yaml.dump(likePipelineCrd(), { lineWidth: 120, noRefs: true, sortKeys: false });
