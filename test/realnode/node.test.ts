import { existsSync, readlinkSync } from 'node:fs';
import type { Obj } from '../support/k8s.js';
import { CONTAINERD, NODE, TAINT, describeStuckPods, inNode, requireNode, run } from '../support/realnode.js';

/**
 * The real kubelet node (scripts/k8s/node.sh) that scripts/test.sh joins to the test control plane unless
 * LIKEPIPE_TEST_REALNODE=false: pods on it run real containers (containerd + runc), get an address on the
 * node's CNI bridge, and are reachable through a ClusterIP Service by way of kube-proxy's rules, all inside the
 * node's own network namespace. scripts/test.sh leaves this project out when it starts no node.
 */
const PAUSE_IMAGE = process.env.LIKEPIPE_REAL_NODE_PAUSE_IMAGE ?? '';
const ECHO_IMAGE = process.env.LIKEPIPE_REAL_NODE_ECHO_IMAGE ?? '';

// The shared helpers insist on KUBECONFIG when imported, which only a started control plane provides.
const k8s = NODE ? await import('../support/k8s.js') : undefined;

/** containerd's running tasks on the node: container id -> pid. */
async function tasks(): Promise<Map<string, number>> {
  const out = await run('ctr', ['--address', CONTAINERD, '-n', 'k8s.io', 'tasks', 'ls']);
  const running = new Map<string, number>();
  for (const line of out.trim().split('\n').slice(1)) {
    const [id, pid, status] = line.trim().split(/\s+/);
    if (status === 'RUNNING') running.set(id!, Number(pid));
  }
  return running;
}

async function containers(): Promise<Set<string>> {
  const out = await run('ctr', ['--address', CONTAINERD, '-n', 'k8s.io', 'containers', 'ls', '-q']);
  return new Set(out.split('\n').filter(Boolean));
}

/** A pod that asks for the real node: its label, and a toleration of its taint. */
function pod(name: string, image: string, container: Record<string, unknown> = {}, labels = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      nodeSelector: { [TAINT]: 'true' },
      tolerations: [{ key: TAINT, operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image, imagePullPolicy: 'Never', ...container }],
    },
  };
}

const containerId = (p: Obj) => String(p.status.containerStatuses[0].containerID).replace(/^containerd:\/\//, '');

describe('a real kubelet node beside kwok', () => {
  const ns = k8s ? k8s.uniqueName('lp-realnode') : '';
  const ids = new Map<string, string>(); // pod name -> container id

  beforeAll(async () => {
    requireNode();
    await k8s!.createNamespace(ns);
    await k8s!.waitFor('the namespace default ServiceAccount', () => k8s!.getJson('serviceaccount', 'default', ns));
  });
  afterAll(async () => {
    if (k8s) await k8s.deleteNamespace(ns);
  });

  const running = (name: string) =>
    k8s!.waitFor(
      `pod ${name} Running on ${NODE}`,
      async () => {
        const p = await k8s!.getJson('pod', name, ns);
        if (p?.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready === true) return p;
        // Thrown, not returned: the timeout's message then says where the pod got stuck.
        throw new Error(p ? await describeStuckPods(ns) : `pod ${name} not found`);
      },
      90_000,
    );

  it('is Ready at the control plane version, tainted and labelled, and kwok leaves it alone', async () => {
    const node = (await k8s!.getJson('node', NODE!))!;
    expect(node.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    expect(node.spec.taints).toContainEqual({ key: TAINT, value: 'true', effect: 'NoSchedule' });
    expect(node.metadata.labels[TAINT]).toBe('true');
    expect(node.metadata.annotations?.['kwok.x-k8s.io/node']).toBeUndefined();
    // The kubelet holds its own lease (kwok would put its own identity there).
    const lease = (await k8s!.getJson('lease', NODE!, 'kube-node-lease'))!;
    expect(lease.spec.holderIdentity).toBe(NODE);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    const version = JSON.parse(await k8s!.kubectl('version', '-o', 'json')) as {
      serverVersion: { gitVersion: string };
    };
    expect(node.status.nodeInfo.kubeletVersion).toBe(version.serverVersion.gitVersion);
    // kwok's fake nodes are still there and still Ready.
    const kwok = JSON.parse(await k8s!.kubectl('get', 'nodes', '-l', 'type=kwok', '-o', 'json')) as {
      items: { status: { conditions: { type: string; status: string }[] } }[];
    };
    expect(kwok.items.length).toBeGreaterThan(0);
    for (const n of kwok.items) expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('runs a pod of the local pause image as a real process', async () => {
    await k8s!.kubectlApply(JSON.stringify(pod('pause', PAUSE_IMAGE)), '-n', ns);
    const p = await running('pause');
    expect(p.spec.nodeName).toBe(NODE);
    const id = containerId(p);
    ids.set('pause', id);
    const pid = (await tasks()).get(id);
    expect(pid).toBeGreaterThan(0);
    // The container's process, seen from this machine: its binary is the image's /pause.
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe('/pause');
  });

  it('serves a pod through a ClusterIP Service (kube-proxy) inside the node namespace', async () => {
    await k8s!.kubectlApply(JSON.stringify(pod('echo', ECHO_IMAGE, { args: ['8080'] }, { app: 'echo' })), '-n', ns);
    await k8s!.kubectlApply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'echo' },
        spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] },
      }),
      '-n',
      ns,
    );
    const p = await running('echo');
    ids.set('echo', containerId(p));
    const ip = (await k8s!.getJson('service', 'echo', ns))!.spec.clusterIP as string;
    // The pod answers on its own address, and through the Service's once kube-proxy has its endpoint.
    expect(await inNode('curl', '-fsS', '--max-time', '2', `http://${p.status.podIP}:8080/direct`)).toBe(
      'echo echo GET /direct\n',
    );
    const body = await k8s!.waitFor(
      `echo through ClusterIP ${ip}`,
      () => inNode('curl', '-fsS', '--max-time', '2', `http://${ip}/via-service`),
      30_000,
    );
    expect(body).toBe('echo echo GET /via-service\n');
  }, 180_000);

  it('removes the containers of deleted pods', async () => {
    const pids = await tasks();
    const before = [...ids.values()].map((id) => pids.get(id)!);
    await k8s!.kubectl('delete', 'pod', 'pause', 'echo', '-n', ns, '--wait=true', '--timeout=60s');
    await k8s!.waitFor(
      'the pods containers to be gone',
      async () => {
        const [left, all] = [await tasks(), await containers()];
        return [...ids.values()].every((id) => !left.has(id) && !all.has(id));
      },
      60_000,
    );
    for (const pid of before) expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});
