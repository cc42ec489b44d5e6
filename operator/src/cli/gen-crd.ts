#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { crdYaml } from '../api/crd-yaml.js';

/** `npm run gen:crd`: writes the LikePipeline CRD (from api/crd.ts) to the path given. */
const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: gen-crd <output.yaml>\n');
  process.exit(2);
}
writeFileSync(out, crdYaml());
process.stdout.write(`wrote ${out}\n`);
