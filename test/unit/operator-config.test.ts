import { ConfigError, LikePipeError, OPERATOR_PORT } from '@likepipe/contract';
import { loadConfig } from '@likepipe/operator/config.js';
import { KubeApiError } from '@likepipe/operator/errors/index.js';

describe('operator: configuration and errors', () => {
  test('defaults: the contract’s operator port, the Lease in the pod’s namespace', () => {
    const c = loadConfig({ POD_NAMESPACE: 'likepipe-system' });
    expect(c.LIKEPIPE_OPERATOR_PORT).toBe(OPERATOR_PORT);
    expect(c.LIKEPIPE_OPERATOR_HOST).toBe('127.0.0.1');
    expect(c.leaseNamespace).toBe('likepipe-system');
    expect(loadConfig({}).leaseNamespace).toBe('default');
    expect(loadConfig({ LIKEPIPE_OPERATOR_NAMESPACE: 'ops', POD_NAMESPACE: 'x' }).leaseNamespace).toBe('ops');
  });

  test('bad variables: one ConfigError (the contract’s, a LikePipeError) naming each of them', () => {
    let err: unknown;
    try {
      loadConfig({
        LIKEPIPE_WORKERS: '0',
        LIKEPIPE_WATCH_NAMESPACE: 'Not_A_Name',
        LIKEPIPE_RENEW_DEADLINE_MS: '20000',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(LikePipeError);
    const message = (err as ConfigError).message;
    expect(message).toContain('LIKEPIPE_WORKERS is invalid');
    expect(message).toContain('LIKEPIPE_WATCH_NAMESPACE is invalid: expected a Kubernetes name');
    expect(message).toContain('LIKEPIPE_RENEW_DEADLINE_MS is invalid: must be shorter than LIKEPIPE_LEASE_DURATION_MS');
    expect((err as ConfigError).code).toBe('config_invalid');
  });

  test('a failed API call is a LikePipeError with a stable code and the HTTP status', () => {
    const err = new KubeApiError(422, 'apply Deployment likes-api: spec.template.spec.containers[0].image: Required');
    expect(err).toBeInstanceOf(LikePipeError);
    expect(err).toMatchObject({ name: 'KubeApiError', code: 'kube_api_error', status: 422, retriable: false });
  });
});
