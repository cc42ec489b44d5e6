/**
 * No Kafka at all: sends are acknowledged on the next turn of the event loop. Its produce CPU per event is the
 * harness's own share (building events, our MicroBatcher, the bookkeeping), to subtract from each client's.
 */
import type { ClientAdapter } from '../types.ts';

export function noneAdapter(): ClientAdapter {
  const unsupported = () => {
    throw new Error('the no-Kafka baseline only produces');
  };
  return {
    name: 'none',
    producer: () => ({
      connect: () => Promise.resolve(),
      send: () => new Promise<void>((resolve) => setImmediate(resolve)),
      produceRequests: () => undefined,
      close: () => Promise.resolve(),
    }),
    consumer: unsupported,
    offsets: unsupported,
  };
}
