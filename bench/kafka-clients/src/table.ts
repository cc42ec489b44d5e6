/** The result as two Markdown tables (the README quotes them): per-event cost, then failures and upkeep. */
type Row = Record<string, unknown>;

const get = (o: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Row)[k] : undefined), o);

function fmt(v: unknown, unit = ''): string {
  if (v === undefined || v === null) return '–';
  if (typeof v === 'number') return `${v.toLocaleString('en-US', { maximumFractionDigits: 2 })}${unit}`;
  return String(v);
}

function seconds(v: unknown): string {
  return typeof v === 'number' ? `${(v / 1000).toFixed(1)} s` : '–';
}

/** Events reported failed yet found in the topic (older result files lack the field: derived from the rest). */
function failedButWritten(r: Row | undefined): number | undefined {
  if (!r || typeof r.records_in_topic !== 'number') return undefined;
  if (typeof r.failed_but_written === 'number') return r.failed_but_written;
  return r.records_in_topic - (Number(r.acked) - Number(r.acked_missing));
}

export function renderTable(results: Row): string {
  const clients = (results.clients ?? {}) as Record<string, Row>;
  const build = results.build as Row | null;
  const rate = get(clients, 'kafkajs.produce_fixed.offered_per_s') ?? get(clients, 'none.produce_fixed.offered_per_s');
  const perf = [
    `| client | produce CPU µs/event @ ${fmt(rate)}/s | ack p50 / p99 @ ${fmt(rate)}/s | max events/s | CPU µs/event at max | ack p99 at max | events per produce request at max | consume events/s | consume CPU µs/event |`,
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  const rows: [string, Row][] = [];
  for (const [name, r] of Object.entries(clients)) {
    rows.push([name === 'none' ? 'no Kafka (harness share)' : name, r]);
    if (r.produce_fixed_direct || r.produce_max_direct) {
      rows.push([
        `${name}, a send() per event`,
        { produce_fixed: r.produce_fixed_direct, produce_max: r.produce_max_direct },
      ]);
    }
  }
  for (const [name, r] of rows) {
    perf.push(
      `| ${name} | ${fmt(get(r, 'produce_fixed.cpu_us_per_event'))} | ` +
        `${fmt(get(r, 'produce_fixed.ack_p50_ms'))} / ${fmt(get(r, 'produce_fixed.ack_p99_ms'), ' ms')} | ` +
        `${fmt(get(r, 'produce_max.events_per_s'))} | ${fmt(get(r, 'produce_max.cpu_us_per_event'))} | ` +
        `${fmt(get(r, 'produce_max.ack_p99_ms'), ' ms')} | ${fmt(get(r, 'produce_max.events_per_produce_request'))} | ` +
        `${fmt(get(r, 'consume.events_per_s'))} | ${fmt(get(r, 'consume.cpu_us_per_event'))} |`,
    );
  }
  const ops = [
    '| client | broker loss: failed sends | of those written all the same | duplicate records | longest stretch without an ack | acked but lost | rebalance pause: join / leave | installed size | native build | pinned | newest stable; stable / pre-release versions |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --- | --- |',
  ];
  for (const [name, r] of Object.entries(clients)) {
    if (name === 'none') continue;
    const up = get(r, 'package.upkeep') as Row | undefined;
    const bytes = get(r, 'package.install_bytes');
    ops.push(
      `| ${name} | ${fmt(get(r, 'broker_loss.failed'))} of ${fmt(get(r, 'broker_loss.submitted'))} | ` +
        `${fmt(failedButWritten(get(r, 'broker_loss') as Row | undefined))} | ${fmt(get(r, 'broker_loss.duplicate_records'))} | ` +
        `${seconds(get(r, 'broker_loss.longest_ack_gap_ms'))} | ${fmt(get(r, 'broker_loss.acked_missing'))} | ` +
        `${seconds(get(r, 'rebalance.join_pause_ms'))} / ${seconds(get(r, 'rebalance.leave_pause_ms'))} | ` +
        `${typeof bytes === 'number' ? `${(bytes / 1e6).toFixed(1)} MB` : '–'} | ` +
        `${name === 'confluent' && build ? `${Math.round(Number(build.native_build_s))} s` : 'none'} | ` +
        `${fmt(up?.pinned)} | ${fmt(up?.latest)}; ${fmt(up?.stable_versions)} / ${fmt(up?.prerelease_versions)} |`,
    );
  }
  return `${perf.join('\n')}\n\n${ops.join('\n')}\n`;
}
