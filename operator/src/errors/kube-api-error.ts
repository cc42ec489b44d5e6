import { LikePipeError } from '@likepipe/contract';

/** A failed Kubernetes API call, with the server's own message (which names the field it rejected). */
export class KubeApiError extends LikePipeError {
  readonly code = 'kube_api_error';

  constructor(
    /** The HTTP status, when the API server answered at all. */
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}
