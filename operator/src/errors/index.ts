export { KubeApiError } from './kube-api-error.js';
