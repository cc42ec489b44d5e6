import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { waitFor as waitForBase } from './wait.js';

/**
 * What the operator tests share: the real control plane scripts/test.sh started (KUBECONFIG, kubectl and helm
 * on PATH), kubectl/helm wrappers, fake storage for StatefulSets, and operator processes run locally (kwok's
 * pods never run a container, so the operator under test runs here, against the same API server).
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHART = `${ROOT}charts/likepipe-operator`;
export const SMALL_EXAMPLE = `${CHART}/examples/small.yaml`;
export const THIRD_PARTY = `${ROOT}../shared/third-party-crds`;
const STATE = process.env.LIKEPIPE_STATE ?? `${ROOT}.likepipe/test`;

if (!process.env.KUBECONFIG) {
  throw new Error('KUBECONFIG is not set: run the operator tests through `npm test`, which starts the control plane');
}

export const kc = new KubeConfig();
kc.loadFromDefault();

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(cmd: string, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** kubectl; throws with its stderr unless it succeeds (use kubectlResult to look at a failure). */
export async function kubectl(...args: string[]): Promise<string> {
  const r = await exec('kubectl', args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
export const kubectlResult = (args: string[], input?: string) => exec('kubectl', args, input);
export async function kubectlApply(yaml: string, ...args: string[]): Promise<string> {
  const r = await exec('kubectl', ['apply', '-f', '-', ...args], yaml);
  if (r.code !== 0) throw new Error(`kubectl apply failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
export async function helm(...args: string[]): Promise<Result> {
  return exec('helm', args);
}

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** Operator tests wait longer by default: pods roll, controllers relist. */
export const waitFor = <T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
) => waitForBase(what, fn, timeoutMs, intervalMs);

/** The release name the README uses; the chart names the operator's Lease after it. */
export const RELEASE = 'likepipe-operator';

/** The chart, installed once per control plane (helm upgrade --install is idempotent). */
export async function installChart(): Promise<void> {
  const r = await helm(
    'upgrade',
    '--install',
    RELEASE,
    CHART,
    '--namespace',
    'likepipe-system',
    '--create-namespace',
    '--wait',
    '--timeout',
    '120s',
  );
  if (r.code !== 0) throw new Error(`helm install failed: ${r.stderr}`);
}

export async function createNamespace(name: string): Promise<void> {
  await kubectl('create', 'namespace', name);
}

export async function deleteNamespace(name: string): Promise<void> {
  await kubectlResult(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
}

export async function createJwtSecret(namespace: string, name = 'likepipe-jwt'): Promise<void> {
  await kubectl(
    'create',
    'secret',
    'generic',
    name,
    '-n',
    namespace,
    `--from-literal=jwt-secret=${randomBytes(32).toString('hex')}`,
  );
}

/**
 * kwok has no volume provisioner: a default StorageClass without one, and enough Available hostPath volumes
 * for the StatefulSets' claims to bind (the PV controller and the scheduler's volume binding are the real ones).
 */
export async function ensureVolumes(count: number): Promise<void> {
  const sc = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'Immediate',
  };
  const pvs = JSON.parse(await kubectl('get', 'pv', '-o', 'json')) as {
    items: { spec?: { storageClassName?: string }; status?: { phase?: string } }[];
  };
  // Only this class's: the real node (scripts/k8s/node.sh) keeps a pool of its own local volumes beside these.
  const available = pvs.items.filter(
    (p) => p.spec?.storageClassName === 'standard' && p.status?.phase === 'Available',
  ).length;
  const items: unknown[] = [sc];
  for (let i = available; i < count; i++) {
    items.push({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: uniqueName('fake-pv') },
      spec: {
        capacity: { storage: '100Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'standard',
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: '/tmp/likepipe-fake-pv' },
      },
    });
  }
  await kubectlApply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export async function getJson(kind: string, name: string, namespace?: string): Promise<Obj | undefined> {
  const r = await kubectlResult(['get', kind, name, '-o', 'json', ...(namespace ? ['-n', namespace] : [])]);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(r.stderr);
  }
  return JSON.parse(r.stdout) as Obj;
}

/** Kinds the operator owns in builtin mode, as kubectl names them. */
export const OWNED_KINDS = [
  'deployments.apps',
  'statefulsets.apps',
  'services',
  'configmaps',
  'secrets',
  'horizontalpodautoscalers.autoscaling',
  'poddisruptionbudgets.policy',
  'networkpolicies.networking.k8s.io',
];

/** Every object labelled as belonging to a pipeline, by "Kind/name". */
export async function ownedObjects(
  namespace: string,
  pipeline: string,
  kinds = OWNED_KINDS,
): Promise<Map<string, Obj>> {
  const out = new Map<string, Obj>();
  const list = JSON.parse(
    await kubectl(
      'get',
      kinds.join(','),
      '-n',
      namespace,
      '-l',
      `likepipe.io/pipeline=${pipeline}`,
      '--show-managed-fields',
      '-o',
      'json',
    ),
  ) as { items: Obj[] };
  for (const o of list.items) out.set(`${o.kind}/${o.metadata.name}`, o);
  return out;
}

export const condition = (lp: Obj | undefined, type: string): Obj | undefined =>
  (lp?.status?.conditions as Obj[] | undefined)?.find((c) => c.type === type);

/** The ServiceAccount the chart's operator Deployment runs as. */
export async function operatorServiceAccount(): Promise<string> {
  const sa = (
    await kubectl(
      'get',
      'deployments',
      '-n',
      'likepipe-system',
      '-l',
      `app.kubernetes.io/instance=${RELEASE}`,
      '-o',
      'jsonpath={.items[0].spec.template.spec.serviceAccountName}',
    )
  ).trim();
  if (!sa) throw new Error('the chart installed no operator Deployment with a ServiceAccount');
  return sa;
}

/**
 * A kubeconfig holding a token of the chart's operator ServiceAccount, so the operator under test has exactly
 * the RBAC the chart grants: a missing rule fails these tests instead of a user's cluster.
 */
export async function operatorKubeconfig(): Promise<string> {
  const sa = await operatorServiceAccount();
  const token = (await kubectl('create', 'token', sa, '-n', 'likepipe-system', '--duration=2h')).trim();
  const cluster = kc.getCurrentCluster()!;
  const file = `${STATE}/k8s/operator-sa.kubeconfig`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test',
        cluster: {
          server: cluster.server,
          ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
          ...(cluster.caFile ? { 'certificate-authority': cluster.caFile } : {}),
        },
      },
    ],
    users: [{ name: sa, user: { token } }],
    contexts: [{ name: 'operator', context: { cluster: 'test', user: sa } }],
    'current-context': 'operator',
  };
  mkdirSync(`${STATE}/k8s`, { recursive: true });
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

// 18400 under the default offset; a side-by-side run (LIKEPIPE_TEST_OFFSET) gets its own range.
let nextPort = 18_300 + Number(process.env.LIKEPIPE_TEST_OFFSET ?? 100);

/** An operator process run from the built dist with the test kubeconfig; stop() sends SIGTERM or SIGKILL. */
export class OperatorProcess {
  readonly port = nextPort++;
  readonly id: string;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(
    readonly label: string,
    private readonly kubeconfig: string,
    private readonly env: Record<string, string> = {},
  ) {
    this.id = uniqueName(`op-${label}`);
  }

  start(): this {
    mkdirSync(`${STATE}/logs`, { recursive: true });
    const log = createWriteStream(`${STATE}/logs/operator-${this.id}.log`);
    this.child = spawn(process.execPath, [`${ROOT}operator/dist/main.js`], {
      env: {
        ...process.env,
        KUBECONFIG: this.kubeconfig,
        LIKEPIPE_OPERATOR_HOST: '127.0.0.1',
        LIKEPIPE_OPERATOR_PORT: String(this.port),
        LIKEPIPE_OPERATOR_ID: this.id,
        LIKEPIPE_OPERATOR_NAMESPACE: 'likepipe-system',
        // Short leases and loops so failover and requeues take seconds in tests; same code paths.
        LIKEPIPE_LEASE_DURATION_MS: '4000',
        LIKEPIPE_RENEW_DEADLINE_MS: '3000',
        LIKEPIPE_RETRY_PERIOD_MS: '500',
        LIKEPIPE_PROBLEM_REQUEUE_MS: '1000',
        LIKEPIPE_BACKOFF_MAX_MS: '3000',
        LIKEPIPE_LOG_LEVEL: 'debug',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.exited = new Promise((resolve) => this.child!.once('exit', (code) => resolve(code)));
    return this;
  }

  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return res.text();
  }

  /** Sum of a counter or gauge across its label sets. */
  async metric(name: string): Promise<number> {
    const text = await this.metrics();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop());
    }
    return sum;
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}
