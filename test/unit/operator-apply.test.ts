import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { desiredState } from '@likepipe/operator/desired/index.js';
import { KubeApiError } from '@likepipe/operator/errors/index.js';
import { Applier } from '@likepipe/operator/kube/apply.js';
import { examplePipeline, observedEverything } from '../support/likepipeline.js';

/**
 * Applier.apply against an in-process stand-in for the API server's discovery and PATCH endpoints: what it
 * sends must be the object desiredState built, byte for byte. client-node's own patch() serialises built-in
 * kinds through its models, which dropped a NetworkPolicy's ingress `from` (the model's `_from`).
 */
const RESOURCES: Record<string, { name: string; kind: string }[]> = {
  '/api/v1': [
    { name: 'services', kind: 'Service' },
    { name: 'configmaps', kind: 'ConfigMap' },
    { name: 'secrets', kind: 'Secret' },
  ],
  '/apis/apps/v1': [
    { name: 'deployments', kind: 'Deployment' },
    { name: 'statefulsets', kind: 'StatefulSet' },
  ],
  '/apis/autoscaling/v2': [{ name: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler' }],
  '/apis/policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget' }],
  '/apis/networking.k8s.io/v1': [{ name: 'networkpolicies', kind: 'NetworkPolicy' }],
  '/apis/kafka.strimzi.io/v1': [
    { name: 'kafkas', kind: 'Kafka' },
    { name: 'kafkanodepools', kind: 'KafkaNodePool' },
    { name: 'kafkatopics', kind: 'KafkaTopic' },
  ],
  '/apis/postgresql.cnpg.io/v1': [{ name: 'clusters', kind: 'Cluster' }],
  '/apis/keda.sh/v1alpha1': [{ name: 'scaledobjects', kind: 'ScaledObject' }],
  '/apis/monitoring.coreos.com/v1': [{ name: 'servicemonitors', kind: 'ServiceMonitor' }],
};

interface Patch {
  url: string;
  contentType: string | undefined;
  body: string;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
  });

let server: Server;
let applier: Applier;
const patches: Patch[] = [];
let reject: string | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((body) => {
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const resources = RESOURCES[req.url ?? ''];
      if (req.method === 'GET' && resources) {
        return json(200, {
          kind: 'APIResourceList',
          groupVersion: req.url!.replace(/^\/apis?\//, ''),
          resources: resources.map((r) => ({ ...r, namespaced: true, singularName: '', verbs: ['patch'] })),
        });
      }
      if (req.method === 'PATCH') {
        patches.push({ url: req.url!, contentType: req.headers['content-type'], body });
        if (reject) return json(422, { kind: 'Status', status: 'Failure', message: reject, code: 422 });
        return json(200, JSON.parse(body));
      }
      json(404, { kind: 'Status', message: `no ${req.method} ${req.url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // Plain HTTP: client-node only allows it with skipTLSVerify.
    clusters: [
      { name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
    ],
    users: [{ name: 'fake', token: 'token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  applier = new Applier(kc);
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  patches.length = 0;
  reject = undefined;
});

describe('operator: server-side apply sends the desired objects as built', () => {
  test('every object of the production example goes out byte for byte, as an apply patch with force', async () => {
    const lp = examplePipeline('production.yaml');
    lp.spec.postgres.mode = 'builtin'; // and the builtin stores too, for their NetworkPolicies
    lp.spec.postgres.instances = 1;
    lp.spec.kafka.mode = 'builtin';
    const { objects } = desiredState(lp, observedEverything(lp));
    for (const obj of objects) await applier.apply(obj);
    expect(patches).toHaveLength(objects.length);
    objects.forEach((obj, i) => {
      const p = patches[i]!;
      expect(p.url).toMatch(
        new RegExp(`/namespaces/prod/[a-z]+/${obj.metadata.name}\\?fieldManager=likepipe-operator&force=true$`),
      );
      expect(p.contentType).toBe('application/apply-patch+yaml');
      expect({ kind: obj.kind, body: p.body }).toEqual({ kind: obj.kind, body: JSON.stringify(obj) });
    });
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'likes-postgres-ingress')!;
    const sent = JSON.parse(patches[objects.indexOf(policy)]!.body);
    expect(sent.spec.ingress).toEqual([
      {
        from: [
          { podSelector: { matchLabels: { 'likepipe.io/pipeline': 'likes', 'likepipe.io/data-client': 'true' } } },
        ],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
  });

  test("a rejected apply is a KubeApiError with the API server's message and status", async () => {
    reject = 'Deployment.apps "likes-api" is invalid: spec.template.spec.containers[0].image: Required value';
    const { objects } = desiredState(examplePipeline('small.yaml'), observedEverything(examplePipeline('small.yaml')));
    const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'likes-api')!;
    const err = await applier.apply(api).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 422, message: `apply Deployment likes-api: ${reject}` });
  });
});
