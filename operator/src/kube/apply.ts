import {
  CustomObjectsApi,
  HttpMethod,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type LikePipeline, type LikePipelineStatus } from '../api/types.js';
import { FIELD_MANAGER } from '../desired/meta.js';
import { KubeApiError } from '../errors/index.js';
import type { KubeObject } from './objects.js';

/** The API server refuses new objects in a namespace that is being deleted: the pipeline goes with it. */
export const isNamespaceTerminating = (err: unknown) =>
  err instanceof KubeApiError && err.status === 403 && err.message.includes('because it is being terminated');

export function apiMessage(err: unknown): { status: number | undefined; message: string } {
  const e = err as { code?: number; body?: unknown; message?: string };
  let message = e.message ?? String(err);
  if (typeof e.body === 'string') {
    try {
      message = (JSON.parse(e.body) as { message?: string }).message ?? message;
    } catch {
      /* not JSON: keep the client's message */
    }
  } else if (e.body && typeof e.body === 'object' && 'message' in e.body) {
    message = String((e.body as { message: unknown }).message);
  }
  return { status: e.code, message };
}

/**
 * KubernetesObjectApi, with an apply that sends the object's JSON exactly as it was built. Its own patch() runs
 * built-in kinds through client-node's model serializer, which writes only the fields a model names, under the
 * model's names: a NetworkPolicy's ingress `from` (`_from` to the model) never reached the API server, leaving
 * rules that admitted every pod. Now the objects desiredState builds, and the tests check, are what is applied.
 */
class JsonApplyApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): JsonApplyApi {
    const api = kc.makeApiClient(JsonApplyApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  async serverSideApply(obj: KubeObject, fieldManager: string): Promise<void> {
    const path = await this.specUriPath(obj, 'patch');
    const request = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    request.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    request.setQueryParam('fieldManager', fieldManager);
    request.setQueryParam('force', 'true');
    request.setBody(JSON.stringify(obj));
    await this.requestPromise(request);
  }
}

/**
 * Server-side apply under one field manager, with force: the operator owns every field it sets, and a change
 * made by hand to one of them is taken back. Fields it does not set (an autoscaler's `replicas`) stay theirs.
 */
export class Applier {
  private readonly objects: JsonApplyApi;
  private readonly custom: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.objects = JsonApplyApi.forConfig(kc);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async apply(obj: KubeObject): Promise<void> {
    try {
      await this.objects.serverSideApply(obj, FIELD_MANAGER);
    } catch (err) {
      const { status, message } = apiMessage(err);
      throw new KubeApiError(status, `apply ${obj.kind} ${obj.metadata.name}: ${message}`);
    }
  }

  async delete(obj: KubernetesObject): Promise<void> {
    try {
      await this.objects.delete(obj, undefined, undefined, undefined, undefined, 'Background');
    } catch (err) {
      const { status, message } = apiMessage(err);
      if (status === 404) return;
      throw new KubeApiError(status, `delete ${obj.kind} ${obj.metadata?.name}: ${message}`);
    }
  }

  /** Writes status through the status subresource, so it never races a user's spec edit. */
  async applyStatus(lp: LikePipeline, status: LikePipelineStatus): Promise<void> {
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: lp.metadata.namespace,
          name: lp.metadata.name,
          body: {
            apiVersion: lp.apiVersion,
            kind: lp.kind,
            metadata: { name: lp.metadata.name, namespace: lp.metadata.namespace },
            status,
          },
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    } catch (err) {
      const { status: code, message } = apiMessage(err);
      throw new KubeApiError(code, `status of ${lp.metadata.name}: ${message}`);
    }
  }
}
