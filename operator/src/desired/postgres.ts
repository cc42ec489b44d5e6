import type { LikePipeline } from '../api/types.js';
import type { KubeObject } from '../kube/objects.js';
import type { Cluster } from '../kube/third-party/cnpg.js';
import { POSTGRES_PORT } from './connections.js';
import { DATA_STORE_UID } from './images.js';
import { labels, names, objectMeta, selectorLabels } from './meta.js';
import { containerSecurityContext, dataStorePodSpec, resourcesOr } from './pod.js';
import { pgHbaConf, POSTGRES_PATHS, POSTGRES_USER, postgresInitScript, postgresqlConf } from './postgres-config.js';
import { hash, pdb, pvc } from './redis.js';

export { POSTGRES_USER } from './postgres-config.js';

/** The ConfigMap of the builtin Postgres: its configuration and the init container's script. */
export const postgresConfigData = (lp: LikePipeline): Record<string, string> => ({
  'postgresql.conf': postgresqlConf(lp),
  'pg_hba.conf': pgHbaConf(lp),
  'init.sh': postgresInitScript(lp),
});

/**
 * The builtin Postgres: one instance as a StatefulSet, with a generated password in an owned Secret. The
 * password is observed state (read back from that Secret, generated once by the controller) so that this
 * function stays pure and a reconcile never rotates it.
 */
export function builtinPostgres(lp: LikePipeline, password: string): KubeObject[] {
  const n = names(lp);
  const p = lp.spec.postgres;
  const paths = POSTGRES_PATHS;
  const host = `${n.postgres}.${lp.metadata.namespace}.svc`;
  const url = `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@${host}:${POSTGRES_PORT}/${p.database}`;
  const config = postgresConfigData(lp);
  const securityContext = containerSecurityContext(lp, true);
  const resources = resourcesOr(p.resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } });
  const mounts = [
    { name: 'data', mountPath: paths.volume },
    { name: 'run', mountPath: paths.socket },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  // pg_isready only asks whether the server accepts connections (no login), over the pod's socket.
  const isReady = ['pg_isready', '-h', paths.socket, '-p', String(POSTGRES_PORT), '-U', POSTGRES_USER];
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: objectMeta(lp, n.postgresSecret, 'postgres'),
      type: 'Opaque',
      // `data`, not `stringData`: stringData is never stored, so re-applying it would never look settled.
      data: { username: b64(POSTGRES_USER), password: b64(password), url: b64(url) },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: objectMeta(lp, n.postgresConfig, 'postgres'),
      data: config,
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: objectMeta(lp, n.postgres, 'postgres'),
      spec: {
        selector: selectorLabels(lp, 'postgres'),
        ports: [{ name: 'postgres', port: POSTGRES_PORT, targetPort: POSTGRES_PORT, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: objectMeta(lp, n.postgres, 'postgres'),
      spec: {
        serviceName: n.postgres,
        replicas: 1,
        selector: { matchLabels: selectorLabels(lp, 'postgres') },
        template: {
          metadata: {
            labels: labels(lp, 'postgres'),
            // A config change must restart the server (init.sh copies it in); the ConfigMap alone would not.
            annotations: { 'likepipe.io/config-hash': hash(JSON.stringify(config)) },
          },
          spec: {
            ...dataStorePodSpec(lp, DATA_STORE_UID.postgres),
            initContainers: [
              {
                name: 'init',
                image: p.image,
                command: ['sh', `${paths.config}/init.sh`],
                resources,
                securityContext,
                volumeMounts: [
                  ...mounts,
                  { name: 'config', mountPath: paths.config, readOnly: true },
                  { name: 'secret', mountPath: paths.secret, readOnly: true },
                ],
              },
            ],
            containers: [
              {
                name: 'postgres',
                image: p.image,
                command: ['postgres', '-D', paths.data],
                ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
                readinessProbe: { exec: { command: [...isReady, '-d', p.database] }, periodSeconds: 5 },
                livenessProbe: {
                  exec: { command: isReady },
                  initialDelaySeconds: 30,
                  periodSeconds: 10,
                  failureThreshold: 6,
                },
                // Kubernetes stops with SIGTERM, which is Postgres' smart shutdown: it would wait for the
                // pipeline's pooled connections until the grace period ends and SIGKILL forces crash recovery.
                lifecycle: {
                  preStop: { exec: { command: ['pg_ctl', 'stop', '-D', paths.data, '-m', 'fast', '-w', '-t', '25'] } },
                },
                resources,
                securityContext,
                volumeMounts: mounts,
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: n.postgresConfig } },
              // Only the password: the pod never sees the Secret's url key.
              {
                name: 'secret',
                secret: { secretName: n.postgresSecret, items: [{ key: 'password', path: 'password' }] },
              },
              { name: 'run', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
        volumeClaimTemplates: [pvc('data', p.storage)],
      },
    },
    pdb(lp, n.postgres, 'postgres'),
  ];
}

/**
 * CloudNativePG mode: one `Cluster`. CloudNativePG creates the app user and its Secret `<cluster>-app`, whose
 * `uri` key the pipeline reads, and runs its own PodDisruptionBudgets.
 */
export function cnpgCluster(lp: LikePipeline): Cluster[] {
  const n = names(lp);
  const p = lp.spec.postgres;
  return [
    {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: objectMeta(lp, n.cnpgCluster, 'postgres'),
      spec: {
        instances: p.instances,
        bootstrap: { initdb: { database: p.database, owner: POSTGRES_USER } },
        storage: {
          size: p.storage.size,
          ...(p.storage.storageClassName ? { storageClass: p.storage.storageClassName } : {}),
        },
        enablePDB: true,
        ...(p.resources ? { resources: p.resources } : {}),
      },
    },
  ];
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
