#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { rulesYaml } from '../monitoring/rules-yaml.js';

/** `npm run gen:rules`: writes the Prometheus rule file (packages/monitoring/src/rules). */
const [out] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: gen-rules <likepipe.rules.yaml>\n');
  process.exit(2);
}
writeFileSync(out, rulesYaml());
process.stdout.write(`wrote ${out}\n`);
