import { writeFileSync } from 'node:fs';
import { renderShellEnv } from '../shell-env.js';

// Usage: gen-shell-env.js <output file>. Writes the contract's shell variables (see shell-env.ts).
const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: gen-shell-env <output file>\n');
  process.exit(2);
}
writeFileSync(out, renderShellEnv());
