/**
 * `node bench/profile-top.ts [--window FILE.json:NAME] FILE.cpuprofile...`: the functions that took the most CPU
 * (self time) in V8 CPU profiles (node --cpu-prof), summed over the files (one per like-API process), as a
 * Markdown table. Idle time is left out of the percentages: they are shares of the CPU the process used. With
 * --window, only the samples taken during phase NAME of bench/hot-post.ts (its BENCH_PHASE_WINDOWS file: start
 * and end in µs of the monotonic clock, which V8 stamps samples with too).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
let window: [number, number] = [-Infinity, Infinity];
let windowName = 'the whole run';
if (args[0] === '--window') {
  const spec = args[1] ?? '';
  const at = spec.lastIndexOf(':');
  const windows = JSON.parse(readFileSync(spec.slice(0, at), 'utf8')) as Record<string, [number, number]>;
  windowName = spec.slice(at + 1);
  const w = windows[windowName];
  if (!w) {
    console.error(`no phase '${windowName}' in ${spec.slice(0, at)}; phases: ${Object.keys(windows).join(', ')}`);
    process.exit(2);
  }
  window = w;
  args.splice(0, 2);
}
const files = args;
if (files.length === 0) {
  console.error('usage: node bench/profile-top.ts [--window WINDOWS.json:PHASE] FILE.cpuprofile...');
  process.exit(2);
}
/**
 * Who a sample's time is for: the nearest frame up its stack that belongs to a package (node_modules/<name>)
 * or to one of our workspaces, so a socket write counts for the client library that asked for it (ioredis,
 * the Kafka client, express answering) rather than for Node's internals. Samples with no such frame keep their own
 * name: (garbage collector), (program), Node-internal work.
 */
function ownerOf(url: string): string | undefined {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/(apps\/[^/]+|packages\/[^/]+|operator)\/(?:dist|src)\//.exec(url);
  return ours ? `${ours[1]} (ours)` : undefined;
}

const selfUs = new Map<string, number>();
const ownerUs = new Map<string, number>();
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let at = p.startTime;
  p.samples.forEach((id, i) => {
    at += p.timeDeltas[i] ?? 0;
    if (at < window[0] || at > window[1]) return;
    const f = byId.get(id)!.callFrame;
    const where = f.url ? `${relative(process.cwd(), f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    const us = p.timeDeltas[i] ?? 0;
    selfUs.set(key, (selfUs.get(key) ?? 0) + us);
    if (f.functionName === '(idle)') return;
    let owner: string | undefined;
    for (let n: number | undefined = id; n !== undefined && !owner; n = parent.get(n)) {
      owner = ownerOf(byId.get(n)!.callFrame.url);
    }
    owner ??= f.functionName.startsWith('(') ? f.functionName : '(Node internals)';
    ownerUs.set(owner, (ownerUs.get(owner) ?? 0) + us);
  });
}
const idle = selfUs.get('(idle)') ?? 0;
selfUs.delete('(idle)');
const busy = [...selfUs.values()].reduce((a, b) => a + b, 0);
const top = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 15));
console.log(
  `${windowName}: busy ${(busy / 1e6).toFixed(1)} s of CPU (idle ${(idle / 1e6).toFixed(1)} s) over ${files.length} profile(s)\n`,
);
console.log('| self % | self ms | function |\n|---:|---:|---|');
for (const [key, us] of top)
  console.log(`| ${((100 * us) / busy).toFixed(1)} | ${(us / 1000).toFixed(0)} | \`${key}\` |`);
// Per request when the phase's request count is given (BENCH_REQUESTS), which makes two phases comparable.
const requests = Number(process.env.BENCH_REQUESTS ?? 0);
console.log(`\n| self % | ${requests ? 'µs per request' : 'self ms'} | on behalf of |\n|---:|---:|---|`);
for (const [owner, us] of [...ownerUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 15)))
  console.log(
    `| ${((100 * us) / busy).toFixed(1)} | ${requests ? (us / requests).toFixed(0) : (us / 1000).toFixed(0)} | ${owner} |`,
  );
