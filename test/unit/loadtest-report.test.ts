import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { formatClock, formatNumber } from '@likepipe/loadtest/format.js';
import { renderReport } from '@likepipe/loadtest/report-html.js';
import { renderConsoleSummary } from '@likepipe/loadtest/report-text.js';
import { niceStep, timeStep } from '@likepipe/loadtest/svg-chart.js';
import type { Audit } from '@likepipe/loadtest/summary.js';
import { FIXTURE_DURATION_S, runSummary } from '../support/run-summary.js';

/** An element of the parsed markup, in document order (fast-xml-parser's preserveOrder form, made walkable). */
interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function toElement(node: Ordered): Element | null {
  const name = Object.keys(node).find((k) => k !== ':@')!;
  if (name === '#text') return null;
  const children: Element[] = [];
  let text = '';
  // Text and child elements interleave (`<td><strong>a</strong> b</td>`): read them in document order.
  for (const child of (node[name] as Ordered[] | undefined) ?? []) {
    if ('#text' in child) text += String(child['#text']);
    const element = toElement(child);
    if (element) {
      children.push(element);
      text += element.text;
    }
  }
  return { name, attrs: node[':@'] ?? {}, children, text };
}

/** Parses markup that must be well-formed XML; a parse error fails the test with the parser's line and reason. */
function parse(markup: string): Element[] {
  const valid = XMLValidator.validate(markup);
  if (valid !== true) throw new Error(`not well-formed: ${JSON.stringify(valid.err)}`);
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    unpairedTags: [],
  });
  return (parser.parse(markup) as Ordered[]).map(toElement).filter((e): e is Element => e !== null);
}

function* walk(elements: Element[]): Generator<Element> {
  for (const e of elements) {
    yield e;
    yield* walk(e.children);
  }
}

const all = (root: Element[], pred: (e: Element) => boolean): Element[] => [...walk(root)].filter(pred);
const hasClass = (e: Element, cls: string) => (e.attrs.class ?? '').split(/\s+/).includes(cls);
const num = (e: Element | undefined, attr: string) => Number(e?.attrs[attr]);

/** The SVGs of the page, by the id of the figure around them. */
function plots(doc: Element[]): Map<string, Element> {
  const figures = all(doc, (e) => e.name === 'figure' && hasClass(e, 'plot'));
  return new Map(figures.map((f) => [f.attrs.id!, f.children.find((c) => c.name === 'svg')!]));
}

/** Where the chart puts x = t: the plot area's rect and the time domain it declares, read from the SVG. */
function xOf(svg: Element, t: number): number {
  const rect = all([svg], (e) => e.name === 'rect' && hasClass(e, 'plot-area'))[0]!;
  const [min, max] = [num(svg, 'data-x-min'), num(svg, 'data-x-max')];
  return num(rect, 'x') + ((t - min) / (max - min)) * num(rect, 'width');
}

const PLOT_IDS = ['plot-throughput', 'plot-latency', 'plot-errors', 'plot-in-flight'];

describe('HTML report of a load-test run', () => {
  const summary = runSummary();
  const html = renderReport(summary);
  const doc = parse(html);

  test('is one well-formed, self-contained page: no script, no external URL, CSS inline', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/\s(src|href)=/i);
    // The only URLs allowed are the SVG namespace and the data (the target's API URLs, as text).
    const urls = (html.match(/https?:\/\/[^\s"'<)]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg');
    expect(new Set(urls)).toEqual(new Set(summary.target.apiUrls));
    expect(all(doc, (e) => e.name === 'style')).toHaveLength(1);
  });

  test('the header names the scenario, profile, verdict, start, machine and target', () => {
    const header = all(doc, (e) => e.name === 'header')[0]!;
    expect(all([header], (e) => e.name === 'h1')[0]!.text).toBe('failover');
    const badge = all([header], (e) => hasClass(e, 'badge'))[0]!;
    expect(badge.text).toBe('FAIL');
    expect(hasClass(badge, 'fail')).toBe(true);
    expect(header.text).toContain('short profile');
    expect(header.text).toContain(summary.description);
    expect(header.text).toContain('2026-12-01 19:40:05 UTC');
    expect(header.text).toContain('16 CPUs, 62.7 GiB, Node v24.21.0');
    expect(header.text).toContain('http://127.0.0.1:3001');
    expect(header.text).toContain('3 Kafka brokers');
  });

  test('has exactly one SVG per plot, each well-formed on its own with its series in the legend', () => {
    const svgs = all(doc, (e) => e.name === 'svg');
    expect(svgs).toHaveLength(4);
    const byPlot = plots(doc);
    expect([...byPlot.keys()]).toEqual(PLOT_IDS);
    for (const m of html.matchAll(/<svg[\s\S]*?<\/svg>/g)) expect(XMLValidator.validate(m[0])).toBe(true);
    const legend = (id: string) =>
      all([byPlot.get(id)!], (e) => hasClass(e, 'legend'))[0]!
        .children.filter((c) => c.name === 'text')
        .map((c) => c.text);
    expect(legend('plot-throughput')).toEqual(['ok', 'offered', 'errors', 'dropped']);
    expect(legend('plot-latency')).toEqual(['p50', 'p90', 'p99']);
    // Non-2xx statuses only, numeric codes first; 429 is an answer that is not a success.
    expect(legend('plot-errors')).toEqual(['429', '503', 'conn-refused', 'timeout']);
    expect(legend('plot-in-flight')).toEqual(['in flight']);
  });

  test('every plot marks each fault at its time, its recovery dashed, and shades its error window', () => {
    for (const svg of plots(doc).values()) {
      const faults = all([svg], (e) => e.name === 'g' && hasClass(e, 'chaos-fault'));
      const recoveries = all([svg], (e) => e.name === 'g' && hasClass(e, 'chaos-recovery'));
      expect(faults.map((g) => g.children.find((c) => c.name === 'text')!.text)).toEqual([
        'kill-redis-master',
        'kill-kafka-leader',
      ]);
      summary.chaos.forEach((c, i) => {
        const line = faults[i]!.children.find((ch) => ch.name === 'line')!;
        expect(num(line, 'x1')).toBeCloseTo(xOf(svg, c.atS), 1);
        expect(num(line, 'x2')).toBe(num(line, 'x1'));
        expect(line.attrs.stroke).toBe('#d7263d');
        expect(line.attrs['stroke-dasharray']).toBeUndefined();
        const back = recoveries[i]!.children.find((ch) => ch.name === 'line')!;
        expect(num(back, 'x1')).toBeCloseTo(xOf(svg, c.recoveredAtS!), 1);
        expect(back.attrs['stroke-dasharray']).toBeTruthy();
      });
      const windows = all([svg], (e) => e.name === 'g' && hasClass(e, 'error-window'));
      expect(windows).toHaveLength(2);
      // The window starts at the first second with errors after the fault and lasts errorWindowS.
      const rect = windows[1]!.children.find((c) => c.name === 'rect')!;
      expect(num(rect, 'x')).toBeCloseTo(xOf(svg, 60), 1);
      expect(num(rect, 'width')).toBeCloseTo(xOf(svg, 60 + 11.8) - xOf(svg, 60), 0);
    }
  });

  test('every plot shades the phases in alternating bands labelled with their names', () => {
    for (const svg of plots(doc).values()) {
      const bands = all([svg], (e) => e.name === 'g' && hasClass(e, 'phase'));
      expect(bands.map((b) => b.children.find((c) => c.name === 'text')?.text)).toEqual([
        'warm-up',
        'steady',
        'failover',
      ]);
      const rects = bands.map((b) => b.children.find((c) => c.name === 'rect')!);
      expect(rects[0]!.attrs.fill).not.toBe(rects[1]!.attrs.fill);
      expect(rects[0]!.attrs.fill).toBe(rects[2]!.attrs.fill);
      expect(num(rects[1], 'x')).toBeCloseTo(xOf(svg, 20), 1);
      expect(num(rects[1], 'x') + num(rects[1], 'width')).toBeCloseTo(xOf(svg, 50), 0);
    }
  });

  test('the time axis is the run, ticked at clock-friendly steps; latency is on a log scale', () => {
    const svg = plots(doc).get('plot-latency')!;
    expect([num(svg, 'data-x-min'), num(svg, 'data-x-max')]).toEqual([0, FIXTURE_DURATION_S]);
    const xLabels = all([svg], (e) => hasClass(e, 'x-axis'))[0]!
      .children.filter((c) => c.name === 'text')
      .map((c) => c.text);
    expect(xLabels).toEqual(['0:00', '0:10', '0:20', '0:30', '0:40', '0:50', '1:00', '1:10', '1:20', '1:30']);
    const yLabels = all([svg], (e) => hasClass(e, 'y-axis'))[0]!
      .children.filter((c) => c.name === 'text')
      .map((c) => c.text);
    // p50 ≈ 2.8 ms to max p99 4,800 ms: four decades, ticked at the powers of ten.
    expect(yLabels).toEqual(['1', '10', '100', '1k', '10k', 'ms (log)']);
    // The second nothing was answered (t = 61) is a gap, not a zero: the p99 line is drawn in two runs.
    const p99 = all([svg], (e) => e.name === 'g' && e.attrs['data-name'] === 'p99')[0]!;
    expect(p99.children.filter((c) => c.name === 'path')).toHaveLength(2);
  });

  test('failed thresholds are highlighted and passed ones are not', () => {
    const rows = all(
      all(doc, (e) => e.name === 'section' && e.attrs.id === 'thresholds'),
      (e) => e.name === 'tr',
    );
    const body = rows.slice(1);
    expect(body).toHaveLength(summary.thresholds.length);
    summary.thresholds.forEach((t, i) => {
      const row = body[i]!;
      expect(row.text).toContain(t.name);
      expect(row.text).toContain(t.actual);
      expect(hasClass(row, 'fail')).toBe(!t.pass);
      expect(row.text).toContain(t.pass ? '✔ pass' : '✘ fail');
    });
    expect(html).toMatch(/tr\.fail \{ background: #[0-9a-f]{6}/);
  });

  test('tables: phases with every column, chaos events with their windows, every audit field', () => {
    const section = (id: string) => all(doc, (e) => e.name === 'section' && e.attrs.id === id)[0]!;
    const phaseRows = all([section('phases')], (e) => e.name === 'tr').slice(1);
    expect(phaseRows.map((r) => r.children[0]!.text)).toEqual(['warm-up constant', 'steady constant', 'failover hold']);
    const warm = phaseRows[0]!.children.map((c) => c.text);
    expect(warm).toEqual([
      'warm-up constant',
      '0:00–0:20',
      '100/s',
      '1,999',
      '1,899',
      '0',
      '100',
      '0',
      '100/s',
      '3.1',
      '8.7',
      '23.6',
      '64',
    ]);

    const chaosRows = all([section('chaos')], (e) => e.name === 'tr').slice(1);
    expect(chaosRows).toHaveLength(2);
    expect(chaosRows[0]!.text).toContain('kill-redis-master');
    expect(chaosRows[0]!.text).toContain('3.6 s / 8 s');
    expect(hasClass(chaosRows[0]!, 'fail')).toBe(false);
    expect(chaosRows[1]!.text).toContain('11.8 s / 10 s');
    expect(chaosRows[1]!.text).toContain('conn-refused');
    expect(hasClass(chaosRows[1]!, 'fail')).toBe(true);

    const audit = section('audit');
    const fields: (keyof Audit)[] = [
      'acknowledgedLikes',
      'acknowledgedUnlikes',
      'expectedRows',
      'missing',
      'unlikesLost',
      'unacknowledgedRows',
      'countMismatches',
      'apiMismatches',
      'quietAfterS',
      'postgresTxPer1000Likes',
      'kafkaProduceRequestsPer1000Likes',
      'replayMismatches',
      'ok',
    ];
    expect(Object.keys(summary.audit).sort()).toEqual([...fields].sort());
    const codes = all([audit], (e) => e.name === 'code').map((c) => c.text);
    expect(codes).toEqual(fields);
    expect(audit.text).toContain('21,873');
    expect(section('saturation').text).toContain('not measured');
  });

  test('audit problems are shown as not ok', () => {
    const bad = runSummary({
      audit: {
        ...runSummary().audit,
        missing: 3,
        countMismatches: [{ postId: 'p-1', likeCount: 21_870, rows: 21_873 }],
        ok: false,
      },
    });
    const rows = all(parse(renderReport(bad)), (e) => e.name === 'tr' && hasClass(e, 'fail'));
    expect(rows.map((r) => r.children[0]!.text)).toEqual([
      'p99 failover',
      'kill-kafka-leader',
      'missing rows missing',
      'like_count mismatches countMismatches',
      'audit ok',
    ]);
    expect(rows[3]!.text).toContain('p-1 count 21,870 ≠ rows 21,873');
  });

  test('text from the data is escaped, never markup', () => {
    const evil = runSummary({
      scenario: 'x</title><script>alert(1)</script>',
      description: '<script>alert("description")</script> & <img src=x onerror=alert(2)>',
      target: { apiUrls: ['http://h/"><script>alert(3)</script>'], kafkaBrokers: 1 },
      chaos: runSummary().chaos.map((c) => ({ ...c, target: "<b onmouseover='x'>redis</b>" })),
      timeline: runSummary().timeline.map((s) => ({ ...s, statuses: { ...s.statuses, '<svg onload=alert(4)>': 1 } })),
    });
    const out = renderReport(evil);
    const parsed = parse(out);
    expect(out).not.toMatch(/<(script|img|b )/i);
    // Handlers in the data stay text: no element anywhere got an on… attribute.
    expect(all(parsed, (e) => Object.keys(e.attrs).some((a) => /^on/i.test(a)))).toEqual([]);
    expect(out).toContain('&lt;script&gt;alert(&quot;description&quot;)&lt;/script&gt; &amp; &lt;img');
    expect(all(parsed, (e) => e.name === 'p' && hasClass(e, 'description'))[0]!.text).toBe(evil.description);
    expect(all(parsed, (e) => e.name === 'svg')).toHaveLength(4);
    expect(all(parsed, (e) => e.name === 'title')[0]!.text).toContain('x</title><script>');
  });

  test('a run without chaos or timeline still renders every section and plot', () => {
    const empty = runSummary({ chaos: [], timeline: [], phases: [], thresholds: [], saturation: null, pass: true });
    const out = renderReport(empty);
    const parsed = parse(out);
    expect([...plots(parsed).keys()]).toEqual(PLOT_IDS);
    expect(all(parsed, (e) => hasClass(e, 'marker') || hasClass(e, 'band'))).toHaveLength(0);
    expect(out).toContain('no seconds were measured');
    expect(out).toContain('No faults were injected in this run.');
    expect(all(parsed, (e) => hasClass(e, 'badge'))[0]!.text).toBe('PASS');

    const quiet = renderReport(runSummary({ chaos: [] }));
    expect(all(parse(quiet), (e) => hasClass(e, 'chaos-fault'))).toHaveLength(0);
  });

  test('a saturation rate, when measured, is shown with its reason', () => {
    const out = renderReport(runSummary({ saturation: { rate: 12_800, reason: 'p99 1,240 ms > 250 ms at 16,000/s' } }));
    const section = all(parse(out), (e) => e.name === 'section' && e.attrs.id === 'saturation')[0]!;
    expect(section.text).toContain('12,800/s');
    expect(section.text).toContain('p99 1,240 ms > 250 ms at 16,000/s');
  });
});

describe('console summary of a load-test run', () => {
  const text = renderConsoleSummary(runSummary());
  const lines = text.split('\n');

  test('leads with the verdict, then every threshold with ✔ or ✘ in aligned columns', () => {
    expect(lines[0]).toBe('failover (short): FAIL');
    const rows = runSummary().thresholds.map((t) => {
      const line = lines.find((l) => l.includes(t.name))!;
      expect(line.trim().startsWith(t.pass ? '✔' : '✘')).toBe(true);
      expect(line).toContain(t.limit);
      expect(line.endsWith(t.actual)).toBe(true);
      return line;
    });
    // Right-aligned actual values end in the same column.
    expect(new Set(rows.map((l) => [...l].length)).size).toBe(1);
  });

  test('lists the audit, phases and chaos, with the failed error window marked', () => {
    expect(text).toMatch(/✔ +missing rows +0/);
    expect(text).toMatch(/· +acknowledged likes +21,873/);
    expect(text).toMatch(/✔ +audit +ok/);
    const phaseHeader = lines.find((l) => l.trim().startsWith('phase '))!;
    for (const h of ['rate', 'arrivals', 'errors', 'dropped', 'achieved', 'p50', 'p90', 'p99', 'max']) {
      expect(phaseHeader).toContain(h);
    }
    expect(lines.find((l) => l.trim().startsWith('warm-up'))).toMatch(/warm-up +100\/s +1,999 +1,899 +0 +100 +0/);
    expect(
      lines
        .find((l) => l.includes('kill-redis-master'))!
        .trim()
        .startsWith('✔'),
    ).toBe(true);
    expect(
      lines
        .find((l) => l.includes('kill-kafka-leader'))!
        .trim()
        .startsWith('✘'),
    ).toBe(true);
    expect(lines.find((l) => l.includes('kill-kafka-leader'))).toContain(formatClock(75));
  });

  test('an empty run says so rather than printing empty tables', () => {
    const out = renderConsoleSummary(runSummary({ chaos: [], phases: [], thresholds: [], timeline: [] }));
    expect(out).toMatch(/Thresholds\n {2}none/);
    expect(out).toMatch(/Chaos\n {2}none/);
  });
});

describe('report number formatting and chart ticks', () => {
  test('numbers get thousands separators and only the decimals their size warrants', () => {
    expect([12_345.678, 123.4, 12.345, 2.5, 1.234, 0.1234, 0.01234, 0].map(formatNumber)).toEqual([
      '12,346',
      '123',
      '12.3',
      '2.5',
      '1.23',
      '0.123',
      '0.0123',
      '0',
    ]);
  });

  test('ticks fall on 1, 2, 5 × 10^k, and on clock steps for time', () => {
    expect([niceStep(100, 5), niceStep(7, 5), niceStep(4_800, 4), niceStep(0.3, 3)]).toEqual([20, 2, 2000, 0.1]);
    expect([timeStep(90, 10), timeStep(170, 10), timeStep(600, 8), timeStep(3 * 3600, 6)]).toEqual([10, 20, 120, 1800]);
  });
});
