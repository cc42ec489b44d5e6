import type { OwnedMeta, Resources } from '../objects.js';

/** postgresql.cnpg.io/v1 (CloudNativePG): the fields of a Cluster the operator sets. */
export interface Cluster {
  apiVersion: 'postgresql.cnpg.io/v1';
  kind: 'Cluster';
  metadata: OwnedMeta;
  spec: {
    instances: number;
    /** CloudNativePG creates the database, its owner and the `<cluster>-app` Secret with their `uri`. */
    bootstrap: { initdb: { database: string; owner: string } };
    storage: { size: string; storageClass?: string };
    enablePDB: boolean;
    resources?: Resources;
  };
}
