/**
 * `node bench/profile-top.ts FILE.cpuprofile...`: the functions that took the most CPU (self time) in V8 CPU
 * profiles (node --cpu-prof), summed over the files (one per like-API worker), as a Markdown table. Idle time is
 * left out of the percentages: they are shares of the CPU the process used.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node bench/profile-top.ts FILE.cpuprofile...');
  process.exit(2);
}
const selfUs = new Map<string, number>();
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const where = f.url ? `${relative(process.cwd(), f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
}
const idle = selfUs.get('(idle)') ?? 0;
selfUs.delete('(idle)');
const busy = [...selfUs.values()].reduce((a, b) => a + b, 0);
const top = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 15));
console.log(
  `busy ${(busy / 1e6).toFixed(1)} s of CPU (idle ${(idle / 1e6).toFixed(1)} s) over ${files.length} profile(s)\n`,
);
console.log('| self % | self ms | function |\n|---:|---:|---|');
for (const [key, us] of top)
  console.log(`| ${((100 * us) / busy).toFixed(1)} | ${(us / 1000).toFixed(0)} | \`${key}\` |`);
