import { LikePipeError } from '@likepipe/contract';

/** A topic was created but some of its partitions have no leader yet; they get one within seconds. */
export class TopicLeadersPendingError extends LikePipeError {
  readonly code = 'topic_leaders_pending';
  override readonly retriable = true;

  constructor(
    readonly topic: string,
    readonly leaderless: number,
  ) {
    super(`topic ${topic} was created but ${leaderless || 'all its'} partitions have no leader yet`);
  }
}
