#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { crdReference } from '../api/crd-reference.js';
import { crdYaml } from '../api/crd-yaml.js';

/** `npm run gen:crd`: writes the LikePipeline CRD (from api/crd.ts) and its field reference. */
const [crdOut, docOut] = process.argv.slice(2);
if (!crdOut || !docOut) {
  process.stderr.write('usage: gen-crd <crd.yaml> <reference.md>\n');
  process.exit(2);
}
writeFileSync(crdOut, crdYaml());
writeFileSync(docOut, crdReference());
process.stdout.write(`wrote ${crdOut} and ${docOut}\n`);
