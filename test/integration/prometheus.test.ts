import { SCRAPE_LABELS, WORKER_METRICS_PORTS, WORKER_ROLES } from '@likepipe/contract';
import {
  DASHBOARD_DIR,
  Prometheus,
  RULES_DIR,
  dashboardQueries,
  dashboards,
  metricNamesIn,
  metricNamesInExposition,
  ruleSets,
  substituteVariables,
  templateVariables,
  variableLookup,
  type QueryOutcome,
} from '../support/prometheus.js';
import {
  API,
  API_B,
  call,
  closeClients,
  createPost,
  env,
  like,
  pool,
  stack,
  testProducer,
  TOPIC,
  uid,
  unlike,
  waitFor,
  waitHealthy,
} from '../support/stack.js';

/**
 * The local stack's Prometheus (scripts/stack/prometheus.sh, started by `up`) as an SRE's dashboards and alerts
 * will use it: it scrapes every role with the contract's scrape labels, every role's /metrics passes promtool's
 * lint, and every query in the committed dashboards and rules runs and finds data after a short load with
 * errors in it. A query that comes back empty here would be an empty panel or a recording rule that never
 * records.
 */
const prom = new Prometheus(
  env.LIKEPIPE_PROMETHEUS_URL ?? failNoEnv('LIKEPIPE_PROMETHEUS_URL'),
  env.LIKEPIPE_PROMTOOL ?? failNoEnv('LIKEPIPE_PROMTOOL'),
);
function failNoEnv(name: string): never {
  throw new Error(`${name} is not in the stack's env file: scripts/up.sh writes it when it starts Prometheus`);
}

/** The roles `up` runs, as scripts/lib/common.sh's LOCAL_WORKER_ROLES: no Redis Cluster keeper off Kubernetes. */
const LOCAL_ROLES = ['like-api', ...WORKER_ROLES.filter((r) => r !== 'redis-cluster-keeper')];
const API_B_PORT = process.env.LIKEPIPE_API_B_PORT ?? new URL(API_B).port;
function metricsPort(role: string): string {
  if (role === 'like-api') return new URL(API).port;
  const v = `LIKEPIPE_${role.toUpperCase().replace(/-/g, '_')}_METRICS_PORT`;
  return process.env[v] ?? String(WORKER_METRICS_PORTS[role as keyof typeof WORKER_METRICS_PORTS]);
}
const portOf = (url: string) => new URL(url).port;

/** Polls every query until it has data; what still has none (or fails) when time is up is the answer. */
async function untilAllHaveData(
  items: { label: string; run: () => Promise<QueryOutcome> }[],
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = items;
  let last = new Map<string, string>();
  for (;;) {
    const outcomes = await Promise.all(pending.map(async (i) => ({ i, o: await i.run() })));
    last = new Map(outcomes.map(({ i, o }) => [i.label, o.ok ? 'no series' : o.error]));
    pending = outcomes.filter(({ o }) => !o.ok || o.series === 0).map(({ i }) => i);
    if (pending.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return pending.map((i) => `${i.label}: ${last.get(i.label)}`);
}

/** The like-API process B as scripts/test.sh starts it. */
const apiBArgs = ['like-api-b', 'like-api', `LIKEPIPE_API_PORT=${API_B_PORT}`, 'LIKEPIPE_API_WORKERS=1'];
let faultyApiB = false;

/**
 * Load with errors: likes and unlikes on both API processes, requests that fail with 4xx, and from process B,
 * restarted without Redis and with room for one waiting Kafka event, likes answered 202 (degraded) and 503
 * (backpressure). The error-ratio and degraded-ratio rules need those series to exist.
 */
beforeAll(async () => {
  await waitHealthy();
  const postId = await createPost();
  const users = Array.from({ length: 24 }, (_, i) => uid(`prom-${i}`));
  const liked = await pool(users, 8, (u, i) => like(u, postId, i % 2 ? { base: API_B } : {}));
  expect(liked.map((r) => r.status)).toEqual(users.map(() => 200));
  const unliked = await pool(users.slice(0, 8), 8, (u) => unlike(u, postId));
  expect(unliked.map((r) => r.status)).toEqual(users.slice(0, 8).map(() => 200));
  const clientErrors = await Promise.all([
    like(users[0]!, uid('no-such-post')), // 404
    call('POST', `/api/posts/${postId}/like`), // 401: no token
    call('POST', '/api/posts', { user: users[0]!, body: { id: postId } }), // 409: taken
    call('POST', '/api/posts', { user: users[0]!, rawBody: '{"id":' }), // 400: malformed JSON
    call('GET', `/api/posts/${postId}`, { auth: 'Bearer not-a-jwt', base: API_B }), // 401
  ]);
  expect(clientErrors.map((r) => r.status)).toEqual([404, 401, 409, 400, 401]);
  // Cached count reads (the count cache's hit ratio) and one record on the topic that is no like event (every
  // consumer skips and counts it: the "Malformed events skipped" panel).
  for (const base of [API, API_B]) {
    for (let i = 0; i < 3; i++)
      expect((await call('GET', `/api/posts/${postId}/count`, { base, user: users[0]! })).status).toBe(200);
  }
  const producer = testProducer('prometheus-test');
  await producer.send({ messages: [{ topic: TOPIC, key: postId, value: 'not a like event' }] });
  await producer.close();

  // Process B without Redis (a port nobody listens on) degrades every like; with one event allowed to wait for
  // its Kafka batch and the batch held for a second, all but one of a burst are refused with 503.
  await stack('app', 'stop', 'like-api-b');
  faultyApiB = true;
  await stack(
    'app',
    'start',
    ...apiBArgs,
    'REDIS_CLUSTER_NODES=127.0.0.1:1',
    'LIKEPIPE_REDIS_TIMEOUT_MS=200',
    'LIKEPIPE_PRODUCER_MAX_QUEUED=1',
    'LIKEPIPE_PRODUCER_LINGER_MS=1000',
  );
  const burst = await pool(
    Array.from({ length: 6 }, (_, i) => uid(`prom-burst-${i}`)),
    6,
    (u) => like(u, postId, { base: API_B }),
  );
  const statuses = burst.map((r) => r.status);
  expect(statuses).toContain(202);
  expect(statuses).toContain(503);

  // The rules' rates need two scrapes of each new series; the error series exist only in process B. They must
  // carry the like route's full template, as the SLI rules select it: an error answered by the app's error
  // handler once lost the router's mount path (`/:id/like`).
  await waitFor(
    'Prometheus to have scraped the 202 and 5xx answers of route /api/posts/:id/like twice',
    async () => {
      const twice = async (status: string) => {
        const o = await prom.query(
          `sum(count_over_time(likepipe_http_requests_total{role="like-api", route="/api/posts/:id/like", status=~"${status}"}[5m])) >= 2`,
        );
        return o.ok && o.series > 0;
      };
      return (await twice('202')) && (await twice('5..'));
    },
    60_000,
    1_000,
  );
}, 180_000);

afterAll(async () => {
  try {
    if (faultyApiB) {
      await stack('app', 'stop', 'like-api-b');
      await stack('app', 'start', ...apiBArgs);
    }
  } finally {
    await closeClients();
  }
}, 120_000);

describe('the local Prometheus', () => {
  it('scrapes every local role, up, with the scrape labels the dashboards and rules group by', async () => {
    const problems = await waitFor(
      'every role to be scraped successfully',
      async () => {
        const targets = await prom.targets();
        const out: string[] = [];
        for (const role of LOCAL_ROLES) {
          const mine = targets.filter((t) => t.labels.job === role);
          const ports = role === 'like-api' ? [metricsPort(role), API_B_PORT] : [metricsPort(role)];
          for (const port of ports) {
            const t = mine.find((x) => portOf(x.scrapeUrl) === port);
            if (!t) out.push(`${role}: no target scraping port ${port} (targets: ${mine.map((x) => x.scrapeUrl)})`);
            else if (t.health !== 'up') out.push(`${role} ${t.scrapeUrl}: ${t.health} ${t.lastError}`);
          }
          for (const t of mine) {
            const want = {
              job: role,
              [SCRAPE_LABELS.role]: role,
              [SCRAPE_LABELS.namespace]: 'local',
              [SCRAPE_LABELS.pipeline]: 'local',
            };
            const got = Object.fromEntries(Object.keys(want).map((k) => [k, t.labels[k]]));
            if (JSON.stringify(got) !== JSON.stringify(want))
              out.push(`${t.scrapeUrl}: labels ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
            if (!t.labels[SCRAPE_LABELS.instance]) out.push(`${t.scrapeUrl}: no ${SCRAPE_LABELS.instance} label`);
          }
        }
        return out.length === 0 ? out : false;
      },
      30_000,
      1_000,
    ).catch((err: Error) => [err.message]);
    expect(problems).toEqual([]);
    // And the stored series carry them too, for every role.
    const o = await prom.query(
      `count by (job, role, namespace, pipeline) (up{namespace="local", pipeline="local"} == 1)`,
    );
    expect(o).toEqual({ ok: true, series: LOCAL_ROLES.length });
  });

  it("every role's /metrics passes promtool check metrics", async () => {
    const targets = await prom.targets();
    const failures: string[] = [];
    let checked = 0;
    for (const role of LOCAL_ROLES) {
      for (const t of targets.filter((x) => x.labels.job === role)) {
        const body = await (await fetch(t.scrapeUrl)).text();
        const { code, output } = await prom.checkMetrics(body);
        checked++;
        if (code !== 0 || output !== '') failures.push(`${role} (${t.scrapeUrl}), exit ${code}:\n${output}`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(LOCAL_ROLES.length);
    expect(failures).toEqual([]);
  });

  it(`every query of every dashboard in ${DASHBOARD_DIR}/ parses and has data`, async () => {
    const found = dashboards();
    if (found.length === 0) {
      throw new Error(`no Grafana dashboards found in ${DASHBOARD_DIR}/*.json: there is nothing to check`);
    }
    // The Redis Cluster keeper runs on Kubernetes only (`up` forms the local cluster itself): its panels parse
    // and name metrics every role exports (checked below), but no local process moves them.
    const keeperOnly = (expr: string) =>
      metricNamesIn(expr).length > 0 && metricNamesIn(expr).every((m) => m.startsWith('likepipe_redis_keeper_'));
    const items = found.flatMap(({ file, json }) => {
      const vars = templateVariables(json);
      return dashboardQueries(file, json).map((q) => {
        const label = `${q.file} ${q.where}: ${q.raw}`;
        if (q.kind === 'variable') {
          const l = variableLookup(substituteVariables(q.raw, vars));
          return { label, parse: l.kind === 'promql' ? l.expr : undefined, run: () => prom.lookup(l) };
        }
        const expr = substituteVariables(q.raw, vars);
        return { label: `${label} (run as ${expr})`, parse: expr, run: () => prom.query(expr) };
      });
    });
    expect(items.length).toBeGreaterThan(0);
    const unparsable: string[] = [];
    for (const i of items) {
      if (i.parse === undefined) continue;
      const o = await prom.parse(i.parse);
      if (!o.ok) unparsable.push(`${i.label}: ${o.error}`);
    }
    expect(unparsable).toEqual([]);
    const local = items.filter((i) => i.parse === undefined || !keeperOnly(i.parse));
    expect(items.length - local.length).toBeLessThanOrEqual(4);
    expect(await untilAllHaveData(local, 60_000)).toEqual([]);
  });

  it(`every recording rule in ${RULES_DIR}/*.rules.yaml records at least one series`, async () => {
    const sets = ruleSets();
    const records = sets.flatMap((s) => s.records.map((r) => ({ ...r, file: s.file })));
    if (records.length === 0) {
      throw new Error(`no recording rules found in ${RULES_DIR}/*.rules.yaml: there is nothing to check`);
    }
    const names = [...new Set(records.map((r) => r.record))];
    const items = names.map((name) => ({ label: name, run: () => prom.query(`{__name__="${name}"}`) }));
    expect(await untilAllHaveData(items, 60_000)).toEqual([]);
  });

  it(`every alert rule in ${RULES_DIR}/*.rules.yaml parses, and Prometheus evaluates every rule without error`, async () => {
    const sets = ruleSets();
    const alerts = sets.flatMap((s) => s.alerts.map((a) => ({ ...a, file: s.file })));
    if (alerts.length === 0) {
      throw new Error(`no alert rules found in ${RULES_DIR}/*.rules.yaml: there is nothing to check`);
    }
    const broken: string[] = [];
    for (const a of alerts) {
      const o = await prom.parse(a.expr);
      if (!o.ok) broken.push(`${a.file} ${a.group}/${a.alert}: ${o.error}`);
    }
    expect(broken).toEqual([]);

    // Prometheus loaded every rule of every file and evaluated each one cleanly (an alert's query may still fail
    // at run time, e.g. many-to-many matching, which parsing alone does not catch).
    const want = sets.flatMap((s) => [
      ...s.records.map((r) => ({ file: s.file, group: r.group, name: r.record })),
      ...s.alerts.map((a) => ({ file: s.file, group: a.group, name: a.alert })),
    ]);
    const problems = await waitFor(
      'every rule to have been evaluated',
      async () => {
        const loaded = await prom.rules();
        const out = want.flatMap(({ file, group, name }) => {
          // Prometheus names the file by its absolute path.
          const r = loaded.find((x) => x.file.endsWith(`/${file}`) && x.group === group && x.name === name);
          if (!r) return [`${file} ${group}/${name}: not loaded by Prometheus`];
          return r.health === 'ok' ? [] : [`${file} ${group}/${name}: ${r.health} ${r.lastError ?? ''}`];
        });
        return out.length === 0 ? out : false;
      },
      30_000,
      1_000,
    ).catch((err: Error) => [err.message]);
    expect(problems).toEqual([]);
  });

  it('every metric a dashboard or rule names is on some role’s /metrics', async () => {
    const named = new Map<string, string>(); // metric -> first place that names it
    for (const { file, json } of dashboards()) {
      for (const q of dashboardQueries(file, json)) {
        for (const n of metricNamesIn(q.raw)) if (!named.has(n)) named.set(n, `${file} ${q.where}`);
      }
    }
    for (const s of ruleSets()) {
      for (const r of [
        ...s.records.map((x) => ({ ...x, name: x.record })),
        ...s.alerts.map((x) => ({ ...x, name: x.alert })),
      ]) {
        for (const n of metricNamesIn(r.expr)) if (!named.has(n)) named.set(n, `${s.file} ${r.group}/${r.name}`);
      }
    }
    if (named.size === 0) {
      throw new Error(`no dashboard (${DASHBOARD_DIR}/*.json) or rule (${RULES_DIR}/*.rules.yaml) names a metric`);
    }
    const exported = new Set<string>();
    for (const t of await prom.targets()) {
      for (const n of metricNamesInExposition(await (await fetch(t.scrapeUrl)).text())) exported.add(n);
    }
    const missing = [...named].filter(([n]) => !exported.has(n)).map(([n, where]) => `${n} (named in ${where})`);
    expect(missing).toEqual([]);
  });
});
