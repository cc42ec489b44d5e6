import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@likepipe/contract';
import { API_VERSION, KIND, type ConditionType, type LikePipeline } from '../api/types.js';
import type { ComputedCondition } from '../status/conditions.js';

/** An Event's reason names the condition that changed: `ApiReady` when it became True, `ApiReadyFalse` when not. */
export type EventReason = ConditionType | `${ConditionType}False`;
export const eventReason = (c: Pick<ComputedCondition, 'type' | 'status'>): EventReason =>
  c.status === 'True' ? c.type : `${c.type}False`;

/** Kubernetes Events on a LikePipeline, for `kubectl describe lp`. Failing to record one never fails a reconcile. */
export class EventRecorder {
  private readonly api: CoreV1Api;
  constructor(
    kc: KubeConfig,
    private readonly instance: string,
    private readonly log: Logger,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  async record(lp: LikePipeline, type: 'Normal' | 'Warning', reason: EventReason, message: string): Promise<void> {
    const now = new Date();
    try {
      await this.api.createNamespacedEvent({
        namespace: lp.metadata.namespace,
        body: {
          metadata: { generateName: `${lp.metadata.name}.`, namespace: lp.metadata.namespace },
          involvedObject: {
            apiVersion: API_VERSION,
            kind: KIND,
            name: lp.metadata.name,
            namespace: lp.metadata.namespace,
            uid: lp.metadata.uid,
            resourceVersion: lp.metadata.resourceVersion,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: 'likepipe-operator' },
          reportingComponent: 'likepipe.io/operator',
          reportingInstance: this.instance.slice(0, 128),
        },
      });
    } catch (err) {
      this.log.warn('could not record event', { reason, err: (err as Error).message });
    }
  }
}
