import { z } from 'zod';
import { ID_PATTERN } from './ids.js';
import { MalformedEventError } from './errors/malformed-event-error.js';

export type LikeAction = 'like' | 'unlike';

/** The value of a `like-events` record (DESIGN.md, Kafka). Version 1. */
export interface LikeEvent {
  v: 1;
  id: string;
  type: LikeAction;
  postId: string;
  userId: string;
  /** ISO-8601 time the API accepted the action. */
  at: string;
  /** True when the API could not use Redis: the reconciler must repair this post's Redis state. */
  redisBypassed: boolean;
  /**
   * Whether the action changed the like state, as Redis saw it (false: a repeated like or unlike); null when
   * Redis was bypassed. Added after v1 shipped, so readers treat a missing value like null. Analytics counts
   * what changed; the truth-writer does not need it (it folds the last intent).
   */
  changed?: boolean | null;
}

export const LIKE_EVENTS_TOPIC = 'like-events';

const likeEventSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(128),
  type: z.enum(['like', 'unlike']),
  postId: z.string().regex(ID_PATTERN),
  userId: z.string().regex(ID_PATTERN),
  at: z.iso.datetime({ offset: true }),
  redisBypassed: z.boolean(),
  changed: z.boolean().nullable().optional(),
});

/** Kafka key: order per user and post, while a hot post still spreads over partitions. */
export function likeEventKey(event: Pick<LikeEvent, 'postId' | 'userId'>): string {
  return `${event.postId}:${event.userId}`;
}

/** Parses a record value; consumers skip (and count) what fails rather than stall a partition on it. */
export function parseLikeEvent(raw: string | Buffer | null): LikeEvent {
  if (raw === null) throw new MalformedEventError('empty record value');
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch (err) {
    throw new MalformedEventError(`record value is not JSON: ${(err as Error).message}`);
  }
  const parsed = likeEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new MalformedEventError(`record value is not a v1 like event: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
