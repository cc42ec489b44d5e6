import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from '@likepipe/contract';
import { API_VERSION, KIND, PLURAL, type LikePipeline } from '../api/types.js';
import { desiredState, referencedSecrets, type Observed } from '../desired/index.js';
import { MANAGED_BY, names, objectKey, PIPELINE_LABEL } from '../desired/meta.js';
import { KubeApiError } from '../errors/index.js';
import { apiMessage, isNamespaceTerminating, type Applier } from '../kube/apply.js';
import { ResilientInformer } from '../kube/informer.js';
import { BUILTIN_OWNED, collectionPath, OPTIONAL_OWNED, type KindInfo } from '../kube/kinds.js';
import {
  appliedObjects,
  prunedObjects,
  queueDepth,
  reconcileDuration,
  reconcileErrors,
  reconcileTotal,
} from '../metrics.js';
import { computeStatus, sameStatus, type ComputedStatus, type Lookup } from '../status/conditions.js';
import { isProgressing } from '../status/reasons.js';
import { eventReason, type EventRecorder } from './events.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  watchNamespace?: string;
  workers: number;
  resyncMs: number;
  watchdogMs: number;
  problemRequeueMs: number;
  /** Per-key retry delays after a failed reconcile: base, doubling, capped. */
  backoff: { baseMs: number; maxMs: number };
}

interface Crd extends KubernetesObject {
  spec?: { versions?: { name: string; served: boolean }[] };
}

const LIKEPIPELINE: KindInfo = { apiVersion: API_VERSION, kind: KIND, plural: PLURAL };
const CRD_KIND: KindInfo = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
};

/**
 * The LikePipeline controller: informers feed a work queue of namespace/name keys; a worker turns one key's
 * spec into desired objects (desiredState, pure), applies them, prunes what is no longer wanted and writes the
 * status. It holds no state of its own beyond the informers' caches, so a restart picks up where it left off.
 */
export class LikePipelineController {
  readonly queue: WorkQueue;
  private readonly pipelines: ResilientInformer<LikePipeline>;
  private readonly crds: ResilientInformer<Crd>;
  private readonly owned = new Map<string, ResilientInformer<KubernetesObject>>();
  private readonly ownedKinds = new Map<string, KindInfo>();
  private readonly objectsApi: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private resync: NodeJS.Timeout | undefined;
  private running = false;
  private readonly workers: Promise<void>[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly applier: Applier,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly opts: ControllerOptions,
  ) {
    this.queue = new WorkQueue(opts.backoff);
    this.objectsApi = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.pipelines = this.informer<LikePipeline>(LIKEPIPELINE, opts.watchNamespace, undefined, (lp) =>
      this.enqueue(lp.metadata.namespace, lp.metadata.name),
    );
    // A CRD appearing (Strimzi, CloudNativePG, KEDA or the Prometheus Operator installed later) can change what
    // every pipeline should own, so it starts that kind's informer and requeues everything.
    this.crds = this.informer<Crd>(CRD_KIND, undefined, undefined, (crd) => {
      const kind = OPTIONAL_OWNED.find((k) => k.crd === crd.metadata?.name);
      if (!kind) return;
      if (this.running) void this.startOwned(kind);
      this.enqueueAll();
    });
  }

  private informer<T extends KubernetesObject>(
    k: KindInfo,
    namespace: string | undefined,
    labelSelector: string | undefined,
    onChange: (obj: T) => void,
  ): ResilientInformer<T> {
    const list = () =>
      this.objectsApi.list<T>(
        k.apiVersion,
        k.kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      ) as Promise<KubernetesListObject<T>>;
    return new ResilientInformer<T>(
      this.kc,
      k.kind,
      collectionPath(k, namespace),
      list,
      onChange,
      this.log,
      { watchdogMs: this.opts.watchdogMs, backoffMs: { base: 1_000, max: 60_000 } },
      labelSelector,
    );
  }

  private enqueue(namespace: string | undefined, name: string | undefined): void {
    if (!namespace || !name) return;
    this.queue.add(`${namespace}/${name}`);
    queueDepth.set(this.queue.length);
  }

  private enqueueAll(): void {
    for (const lp of this.pipelines.cache.list()) this.enqueue(lp.metadata.namespace, lp.metadata.name);
  }

  private crdServed(name: string, version: string): boolean {
    return !!this.crds.cache.get(name)?.spec?.versions?.some((v) => v.name === version && v.served);
  }

  private async startOwned(k: KindInfo): Promise<void> {
    if (this.owned.has(k.kind)) return;
    const inf = this.informer<KubernetesObject>(
      k,
      this.opts.watchNamespace,
      `app.kubernetes.io/managed-by=${MANAGED_BY}`,
      (o) => this.enqueue(o.metadata?.namespace, o.metadata?.labels?.[PIPELINE_LABEL]),
    );
    this.owned.set(k.kind, inf);
    this.ownedKinds.set(k.kind, k);
    await inf.start();
  }

  /** Starts informers and workers; resolves once the caches are filled. Call only while leading. */
  async start(): Promise<void> {
    this.running = true;
    await this.crds.start();
    await this.crds.waitForSync();
    const kinds = [
      ...BUILTIN_OWNED,
      ...OPTIONAL_OWNED.filter((k) => this.crdServed(k.crd!, k.apiVersion.split('/')[1]!)),
    ];
    await Promise.all(kinds.map((k) => this.startOwned(k)));
    await Promise.all([...this.owned.values()].map((i) => i.waitForSync()));
    await this.pipelines.start();
    await this.pipelines.waitForSync();
    this.enqueueAll();
    // The periodic resync catches drift no watch reports (a Secret the user created, an object changed
    // while no operator was running) and re-checks problems that wait on the user.
    this.resync = setInterval(() => this.enqueueAll(), this.opts.resyncMs);
    this.resync.unref();
    for (let i = 0; i < this.opts.workers; i++) this.workers.push(this.work());
    this.log.info('controller started', {
      kinds: [...this.owned.keys()],
      pipelines: this.pipelines.cache.list().length,
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.resync);
    this.queue.shutDown();
    await Promise.all(this.workers);
    await Promise.all([this.pipelines.stop(), this.crds.stop(), ...[...this.owned.values()].map((i) => i.stop())]);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      queueDepth.set(this.queue.length);
      if (key === undefined) return;
      const end = reconcileDuration.startTimer();
      try {
        const outcome = await this.reconcile(key);
        this.queue.forget(key);
        if (outcome === 'requeue') this.queue.addAfter(key, this.opts.problemRequeueMs);
        reconcileTotal.inc({ result: outcome });
      } catch (err) {
        reconcileErrors.inc();
        reconcileTotal.inc({ result: 'error' });
        const delay = this.queue.addRateLimited(key);
        this.log.warn('reconcile failed, retrying', { key, retryInMs: delay, err: (err as Error).message });
      } finally {
        end();
        this.queue.done(key);
      }
    }
  }

  /** One reconcile of one LikePipeline. Throws to retry with backoff; 'requeue' to look again later. */
  async reconcile(key: string): Promise<'success' | 'requeue'> {
    const [namespace, name] = key.split('/') as [string, string];
    const lp = this.pipelines.cache.get(name, namespace);
    // Deleted: garbage collection removes everything through the ownerReferences. Nothing lives outside
    // Kubernetes, so there is no finalizer and nothing to do here.
    if (!lp || lp.metadata.deletionTimestamp) return 'success';

    const observed = await this.observe(lp);
    const { objects, problems } = desiredState(lp, observed);

    let applyError: string | undefined;
    for (const obj of objects) {
      try {
        await this.applier.apply(obj);
        appliedObjects.inc({ kind: obj.kind });
      } catch (err) {
        // Its namespace is being deleted, and the LikePipeline with it: nothing to do, nothing to report.
        if (isNamespaceTerminating(err)) return 'success';
        applyError ??= (err as Error).message;
        this.log.warn('apply failed', { key, err: (err as Error).message });
      }
    }
    if (!applyError) await this.prune(lp, new Set(objects.map(objectKey)));

    const status = computeStatus(lp, this.lookup(namespace), problems, applyError, new Date());
    if (!sameStatus(lp.status, status)) {
      try {
        await this.applier.applyStatus(lp, status);
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) return 'success'; // deleted meanwhile
        throw err;
      }
      await this.recordTransitions(lp, status);
    }
    if (applyError) throw new Error(applyError);
    return problems.length ? 'requeue' : 'success';
  }

  private async observe(lp: LikePipeline): Promise<Observed> {
    const secrets: Observed['secrets'] = {};
    for (const { ref } of referencedSecrets(lp)) {
      if (ref.name in secrets) continue;
      try {
        const s = await this.core.readNamespacedSecret({ name: ref.name, namespace: lp.metadata.namespace });
        secrets[ref.name] = Object.keys({ ...s.data, ...s.stringData });
      } catch (err) {
        if (apiMessage(err).status !== 404) throw err;
        secrets[ref.name] = null;
      }
    }
    const own = this.owned.get('Secret')?.cache.get(names(lp).postgresSecret, lp.metadata.namespace) as
      { data?: Record<string, string> } | undefined;
    const existing = own?.data?.password ? Buffer.from(own.data.password, 'base64').toString('utf8') : undefined;
    return {
      crds: {
        strimzi:
          this.crdServed('kafkas.kafka.strimzi.io', 'v1') &&
          this.crdServed('kafkanodepools.kafka.strimzi.io', 'v1') &&
          this.crdServed('kafkatopics.kafka.strimzi.io', 'v1'),
        cnpg: this.crdServed('clusters.postgresql.cnpg.io', 'v1'),
        keda: this.crdServed('scaledobjects.keda.sh', 'v1alpha1'),
        serviceMonitor: this.crdServed('servicemonitors.monitoring.coreos.com', 'v1'),
        prometheusRule: this.crdServed('prometheusrules.monitoring.coreos.com', 'v1'),
      },
      postgresPassword: existing ?? randomBytes(24).toString('base64url'),
      secrets,
    };
  }

  private lookup(namespace: string): Lookup {
    // The caches hold what the API server sent, status included; status reads only the fields ObservedObject names.
    return (kind, name) => this.owned.get(kind)?.cache.get(name, namespace);
  }

  /** Deletes objects this pipeline owns that its spec no longer asks for (a disabled role, a changed mode). */
  private async prune(lp: LikePipeline, keep: Set<string>): Promise<void> {
    for (const [kind, inf] of this.owned) {
      for (const o of inf.cache.list(lp.metadata.namespace)) {
        if (o.metadata?.labels?.[PIPELINE_LABEL] !== lp.metadata.name) continue;
        if (!o.metadata.ownerReferences?.some((r) => r.uid === lp.metadata.uid)) continue;
        // Items of a list carry no apiVersion and kind; the informer's kind supplies them.
        const info = this.ownedKinds.get(kind)!;
        const full = { ...o, apiVersion: info.apiVersion, kind: info.kind };
        if (keep.has(objectKey(full))) continue;
        this.log.info('pruning object no longer in the spec', { kind, name: o.metadata.name });
        await this.applier.delete(full);
        prunedObjects.inc({ kind });
      }
    }
  }

  private async recordTransitions(lp: LikePipeline, status: ComputedStatus): Promise<void> {
    const before = new Map((lp.status?.conditions ?? []).map((c) => [c.type, c]));
    for (const c of status.conditions) {
      const old = before.get(c.type);
      if (old && old.status === c.status && old.reason === c.reason) continue;
      const progressing = isProgressing(c.reason);
      // A new pipeline: say whether it is Ready, and name real problems; components coming up are not news.
      if (!old && c.type !== 'Ready' && (c.status === 'True' || progressing)) continue;
      const type = c.status === 'True' || progressing ? 'Normal' : 'Warning';
      await this.events.record(lp, type, eventReason(c), `${c.reason}: ${c.message}`);
    }
  }
}
