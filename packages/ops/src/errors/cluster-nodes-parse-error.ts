import { LikePipeError } from '@likepipe/contract';

/** A `CLUSTER NODES` reply that does not parse: a Redis version we do not understand, or a broken reply. */
export class ClusterNodesParseError extends LikePipeError {
  readonly code = 'cluster_nodes_unparseable';
}
