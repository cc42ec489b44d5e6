/**
 * Like events as the like-API publishes them (packages/core LikeEvent, key `${postId}:${userId}`, a W3C
 * traceparent header), over a few thousand posts so every partition gets its share. Every event is new, so a
 * read-back can find each acknowledged one by its id.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LikeEvent } from '@likepipe/core';
import type { OutMessage } from './types.ts';

const POSTS = 5_000;

export interface BenchEvent extends OutMessage {
  id: string;
}

export function makeEvent(seq: number): BenchEvent {
  const event: LikeEvent = {
    v: 1,
    id: randomUUID(),
    type: 'like',
    postId: `p${seq % POSTS}`,
    userId: `u${seq}`,
    at: new Date().toISOString(),
    redisBypassed: false,
    changed: true,
  };
  return {
    id: event.id,
    key: `${event.postId}:${event.userId}`,
    value: JSON.stringify(event),
    headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` },
  };
}
