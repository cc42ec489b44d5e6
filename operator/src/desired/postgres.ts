import type { LikePipeline } from '../api/types.js';
import type { KubeObject } from '../kube/objects.js';
import type { Cluster } from '../kube/third-party/cnpg.js';
import { POSTGRES_PORT } from './connections.js';
import { labels, names, objectMeta, selectorLabels } from './meta.js';
import { containerSecurityContext, dataStorePodSpec, resourcesOr } from './pod.js';
import { pdb, pvc } from './redis.js';

const POSTGRES_UID = 999; // the official image's postgres user
export const POSTGRES_USER = 'likepipe';

/**
 * The builtin Postgres: one instance as a StatefulSet, with a generated password in an owned Secret. The
 * password is observed state (read back from that Secret, generated once by the controller) so that this
 * function stays pure and a reconcile never rotates it.
 */
export function builtinPostgres(lp: LikePipeline, password: string): KubeObject[] {
  const n = names(lp);
  const p = lp.spec.postgres;
  const host = `${n.postgres}.${lp.metadata.namespace}.svc`;
  const url = `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@${host}:${POSTGRES_PORT}/${p.database}`;
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
          metadata: { labels: labels(lp, 'postgres') },
          spec: {
            ...dataStorePodSpec(lp, POSTGRES_UID),
            containers: [
              {
                name: 'postgres',
                image: p.image,
                env: [
                  { name: 'POSTGRES_USER', value: POSTGRES_USER },
                  { name: 'POSTGRES_DB', value: p.database },
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                  {
                    name: 'POSTGRES_PASSWORD',
                    valueFrom: { secretKeyRef: { name: n.postgresSecret, key: 'password' } },
                  },
                ],
                ports: [{ name: 'postgres', containerPort: POSTGRES_PORT, protocol: 'TCP' }],
                readinessProbe: {
                  exec: { command: ['pg_isready', '-U', POSTGRES_USER, '-d', p.database] },
                  periodSeconds: 5,
                },
                livenessProbe: {
                  exec: { command: ['pg_isready', '-U', POSTGRES_USER] },
                  initialDelaySeconds: 30,
                  periodSeconds: 10,
                  failureThreshold: 6,
                },
                resources: resourcesOr(p.resources, {
                  requests: { cpu: '250m', memory: '512Mi' },
                  limits: { memory: '1Gi' },
                }),
                securityContext: containerSecurityContext(lp, false),
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/postgresql/data' },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                ],
              },
            ],
            volumes: [{ name: 'run', emptyDir: {} }],
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
