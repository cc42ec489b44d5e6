/** Loads one client's adapter by name: each benchmark process imports only the client it measures. */
import type { ClientAdapter, ClientName, ClientOptions } from '../types.ts';

export async function loadClient(name: ClientName, opts: ClientOptions): Promise<ClientAdapter> {
  switch (name) {
    case 'kafkajs':
      return (await import('./kafkajs.ts')).kafkajsAdapter(opts);
    case 'platformatic':
      return (await import('./platformatic.ts')).platformaticAdapter(opts);
    case 'confluent':
      return (await import('./confluent.ts')).confluentAdapter(opts);
    case 'none':
      return (await import('./none.ts')).noneAdapter();
  }
}
