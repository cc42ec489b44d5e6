/**
 * One measurement in a process of its own, so that each client's CPU is its own and no client's modules, timers
 * or native threads are loaded while another is measured: `node child.ts PHASE CLIENT JSON-ARGS`. The result is
 * the last stdout line, as JSON.
 */
import { brokerLossPhase, type BrokerLossArgs } from './broker-loss.ts';
import { loadClient } from './clients/index.ts';
import { PRODUCE_TIMEOUT_MS } from './clients/settings.ts';
import { consumePhase, type ConsumeArgs } from './consume.ts';
import { producePhase, type ProduceArgs } from './produce.ts';
import { rebalancePhase, type RebalanceArgs } from './rebalance.ts';
import type { ClientName } from './types.ts';

const [phase, name, json] = process.argv.slice(2);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (!phase || !name || !json || brokers.length === 0) {
  console.error('usage: KAFKA_BROKERS=host:port,... node child.ts PHASE CLIENT JSON-ARGS');
  process.exit(2);
}
const client = await loadClient(name as ClientName, { brokers, timeoutMs: PRODUCE_TIMEOUT_MS });
const args: unknown = JSON.parse(json);
let result: unknown;
switch (phase) {
  case 'produce':
    result = await producePhase(client, args as ProduceArgs);
    break;
  case 'consume':
    result = await consumePhase(client, args as ConsumeArgs);
    break;
  case 'rebalance':
    result = await rebalancePhase(client, args as RebalanceArgs);
    break;
  case 'broker-loss':
    result = await brokerLossPhase(client, args as BrokerLossArgs);
    break;
  default:
    throw new Error(`unknown phase ${phase}`);
}
// Some clients keep timers or native threads alive after close, so exit, but only once stdout is written: a
// pipe is written asynchronously, and the broker-loss result (every acknowledged id) is large.
process.stdout.write(`\n${JSON.stringify(result)}\n`, () => process.exit(0));
