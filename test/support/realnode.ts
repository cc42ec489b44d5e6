import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Obj } from './k8s.js';
import { pipeServer } from './tcp-pipe.js';

/**
 * What the realnode tests share: the real kubelet node scripts/k8s/node.sh joined to the test control plane
 * (its `env` output, exported by scripts/test.sh), commands run inside its network namespace, and port forwards
 * from this process's 127.0.0.1 into that namespace (what `kubectl port-forward` does on kind: the API server
 * here cannot reach a kubelet inside a namespace, so the forward goes around it).
 */
export const NODE = process.env.LIKEPIPE_REAL_NODE;
export const NETNS = process.env.LIKEPIPE_REAL_NODE_NETNS ?? '';
export const CONTAINERD = process.env.LIKEPIPE_REAL_NODE_CONTAINERD ?? '';
export const TAINT = process.env.LIKEPIPE_REAL_NODE_TAINT ?? '';
export const STORAGE_CLASS = process.env.LIKEPIPE_REAL_NODE_STORAGE_CLASS ?? '';
export const POD_LOGS = process.env.LIKEPIPE_REAL_NODE_LOGS ?? '';
const STATE = process.env.LIKEPIPE_STATE ?? '.likepipe/test';

export function requireNode(): string {
  if (!NODE)
    throw new Error('no real node: run this project through `npm test`, which starts one (scripts/k8s/node.sh)');
  return NODE;
}

export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${String(stderr) || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/** A command in the node's network namespace (nsenter, as the node's own processes run). */
export const inNode = (...args: string[]) => run('nsenter', [`--net=${NETNS}`, ...args]);

/**
 * The namespace annotations (the PodNodeSelector and PodTolerationRestriction admission plugins, which the test
 * control plane enables) that put every pod created in a namespace on the real node, whatever made the pod: the
 * manifests under test stay as a user applies them.
 */
export const onRealNode = () => ({
  'scheduler.alpha.kubernetes.io/node-selector': `${TAINT}=true`,
  'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([
    { key: TAINT, operator: 'Exists', effect: 'NoSchedule' },
  ]),
});

/** A TCP forward from 127.0.0.1:<port> here to host:port as seen from inside the node's namespace. */
export interface Forward {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Two hops: a socat inside the namespace listens on a unix socket (a file, so it is reachable from here) and
 * dials the target; a server here accepts TCP on 127.0.0.1 and pipes each connection to that socket.
 */
export async function forward(host: string, port: number): Promise<Forward> {
  const dir = `${STATE}/realnode`;
  mkdirSync(dir, { recursive: true });
  const sock = `${dir}/fwd-${randomBytes(4).toString('hex')}.sock`;
  const inner: ChildProcess = spawn(
    'nsenter',
    [`--net=${NETNS}`, 'socat', `UNIX-LISTEN:${sock},fork,unlink-early,mode=600`, `TCP:${host}:${port}`],
    { stdio: 'ignore' },
  );
  const exited = once(inner, 'exit');
  for (let i = 0; !existsSync(sock); i++) {
    if (i > 100 || inner.exitCode !== null) throw new Error(`the forward to ${host}:${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const server: Server = pipeServer(() => connect(sock));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const local = (server.address() as { port: number }).port;
  return {
    port: local,
    url: `http://127.0.0.1:${local}`,
    async close() {
      server.close();
      inner.kill('SIGTERM');
      await exited;
      rmSync(sock, { force: true });
    },
  };
}

/**
 * Keeps what a person needs to see why a run failed: every container log of the node (the kubelet's podLogsDir)
 * and what the API says about the namespaces, in $LIKEPIPE_STATE/artifacts/realnode/<label>.
 */
export async function saveArtifacts(label: string, namespaces: string[]): Promise<string> {
  const out = `${STATE}/artifacts/realnode/${label}`;
  mkdirSync(out, { recursive: true });
  if (POD_LOGS && existsSync(POD_LOGS)) cpSync(POD_LOGS, `${out}/pod-logs`, { recursive: true });
  for (const ns of namespaces) {
    for (const [file, args] of [
      ['objects.txt', ['get', 'all,pvc,pv,configmaps,events', '-n', ns, '-o', 'wide']],
      ['pods.yaml', ['get', 'pods', '-n', ns, '-o', 'yaml']],
      ['likepipelines.yaml', ['get', 'likepipelines', '-n', ns, '-o', 'yaml']],
    ] as const) {
      const text = await run('kubectl', [...args]).catch((e: Error) => e.message);
      writeFileSync(`${out}/${ns}-${file}`, text);
    }
  }
  return out;
}

/** The last lines a container wrote, from the kubelet's log directory (<ns>_<pod>_<uid>/<container>/<n>.log). */
function podLogTail(ns: string, pod: string, container: string, lines = 15): string {
  if (!POD_LOGS || !existsSync(POD_LOGS)) return '';
  const dir = readdirSync(POD_LOGS).find((d) => d.startsWith(`${ns}_${pod}_`));
  if (!dir || !existsSync(`${POD_LOGS}/${dir}/${container}`)) return '';
  const files = readdirSync(`${POD_LOGS}/${dir}/${container}`)
    .filter((f) => /^\d+\.log$/.test(f))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  // The newest finished attempt says why a container restarts; the running one may have said nothing yet.
  const last = files.length > 1 ? files[files.length - 2]! : files[files.length - 1];
  if (!last) return '';
  return readFileSync(`${POD_LOGS}/${dir}/${container}/${last}`, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

/**
 * Where a namespace's pods got stuck, for a timeout's message (CI keeps only the test output): each pod that is
 * not Ready with its phase, restarts, waiting reason, last termination and last log lines, and its last events.
 */
export async function describeStuckPods(ns: string): Promise<string> {
  const items = (JSON.parse(await run('kubectl', ['get', 'pods', '-n', ns, '-o', 'json'])) as { items: Obj[] }).items;
  const events = await run('kubectl', [
    'get',
    'events',
    '-n',
    ns,
    '--sort-by=.lastTimestamp',
    '-o',
    'custom-columns=OBJ:.involvedObject.name,REASON:.reason,MESSAGE:.message',
    '--no-headers',
  ]).catch((e: Error) => e.message);
  const out: string[] = [];
  for (const p of items) {
    const name = String(p.metadata.name);
    const statuses = (p.status?.containerStatuses ?? []) as Obj[];
    if (p.status?.phase === 'Running' && statuses.length > 0 && statuses.every((c) => c.ready === true)) continue;
    out.push(`pod ${name}: phase ${p.status?.phase ?? '?'} on ${p.spec?.nodeName ?? 'no node'}`);
    for (const c of statuses) {
      const term = c.lastState?.terminated as Obj | undefined;
      out.push(
        `  ${c.name}: ready=${c.ready} restarts=${c.restartCount} state=${Object.keys(c.state ?? {}).join(',')}` +
          `${c.state?.waiting ? ` (${c.state.waiting.reason}: ${c.state.waiting.message ?? ''})` : ''}` +
          `${term ? `; last exit ${term.exitCode} (${term.reason})` : ''}`,
      );
      const tail = podLogTail(ns, name, String(c.name));
      if (tail) out.push(tail.replace(/^/gm, '    | '));
    }
    const own = events
      .split('\n')
      .filter((l) => l.startsWith(`${name} `))
      .slice(-4);
    if (own.length) out.push(own.map((l) => `  event ${l}`).join('\n'));
  }
  return out.join('\n') || `every pod in ${ns} is Ready`;
}
