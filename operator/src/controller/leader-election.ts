import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '@likepipe/contract';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

const statusOf = (err: unknown) => (err as { code?: number })?.code;

/**
 * Lease times are MicroTime: the API server accepts exactly six fraction digits. client-node would send a Date
 * with three (toISOString) and be rejected, but passes an unknown-typed value through as is.
 */
const microTime = (d: Date): Date => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;

/**
 * Leader election on a coordination.k8s.io Lease, so two operator replicas never both act. Follows
 * client-go's rules: a lease is expired when its record has not changed for leaseDuration by *our* clock
 * (never comparing clocks across machines); writes use the resourceVersion, so two candidates cannot both win;
 * a leader that cannot renew within renewDeadline stops leading (the process then exits, as controllers do).
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
    private readonly callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void },
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.tryAcquireOrRenew();
      } catch (err) {
        this.log.warn('leader election: lease request failed', { err: (err as Error).message });
      }
      if (this.leading && Date.now() - this.lastRenew > this.opts.renewDeadlineMs) {
        this.log.error('leader election: could not renew the lease in time, stepping down');
        this.leading = false;
        this.callbacks.onStoppedLeading();
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.opts.retryPeriodMs);
    };
    void tick();
  }

  /** Stops trying and, when leading, gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.leaseDurationSeconds = 1;
        await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
      }
    } catch (err) {
      this.log.warn('leader election: could not release the lease', { err: (err as Error).message });
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = microTime(new Date());
    const durationS = Math.ceil(this.opts.leaseDurationMs / 1000);
    const lease = await this.read();
    if (!lease) {
      try {
        await this.api.createNamespacedLease({
          namespace: this.opts.namespace,
          body: {
            metadata: { name: this.opts.name, namespace: this.opts.namespace },
            spec: {
              holderIdentity: this.opts.identity,
              leaseDurationSeconds: durationS,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        this.becomeLeader();
      } catch (err) {
        if (statusOf(err) !== 409) throw err; // someone else created it first: fine, try next round
      }
      return;
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${String(spec.renewTime?.valueOf() ?? '')}|${spec.leaseTransitions ?? 0}`;
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const mine = spec.holderIdentity === this.opts.identity;
    const heldDurationMs = (spec.leaseDurationSeconds ?? durationS) * 1000;
    const expired = !spec.holderIdentity || Date.now() - this.observed.at > heldDurationMs;
    if (!mine && !expired) {
      if (this.leading) {
        this.leading = false;
        this.callbacks.onStoppedLeading();
      }
      return;
    }
    const body: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: durationS,
        renewTime: now,
        ...(mine ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body });
    } catch (err) {
      if (statusOf(err) === 409) return; // lost a race for the record; look again next round
      throw err;
    }
    if (!mine) this.log.info('leader election: took over the lease', { previous: spec.holderIdentity ?? null });
    this.becomeLeader();
  }

  private becomeLeader(): void {
    this.lastRenew = Date.now();
    if (this.leading) return;
    this.leading = true;
    this.log.info('leader election: leading', { lease: `${this.opts.namespace}/${this.opts.name}` });
    this.callbacks.onStartedLeading();
  }
}
