import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { openApiDocument } from '@likepipe/pipeline/http/openapi.js';
import { API, call, closeClients, createPost, db, token, waitFor, waitHealthy } from '../support/stack.js';

/**
 * Issue #12: schema-driven fuzzing. scripts/fuzz.sh runs Schemathesis from the API's own /openapi.json
 * with a valid, a forged and no token; this file runs it against the test stack, then reads every recorded
 * exchange again for what the contract promises beyond the schema, and sends the malformed requests a
 * schema cannot describe (below JSON: the path's encoding, the body's framing and compression, headers).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${process.env.LIKEPIPE_STATE ?? `${ROOT}.likepipe/test`}/fuzz`;
const PASSES = ['valid', 'forged', 'none'] as const;

beforeAll(() => waitHealthy());
afterAll(closeClients);

interface Exchange {
  pass: (typeof PASSES)[number];
  method: string;
  path: string; // the operation's template, e.g. /api/posts/{id}
  uri: string;
  sentAuth: boolean;
  status: number;
  body: string;
}

/** Every request Schemathesis sent and the answer, from its NDJSON event reports. */
function exchanges(): Exchange[] {
  const out: Exchange[] = [];
  for (const pass of PASSES) {
    for (const line of readFileSync(`${OUT}/${pass}.ndjson`, 'utf8').split('\n')) {
      if (!line.includes('"ScenarioFinished"')) continue;
      const recorder = (JSON.parse(line) as { ScenarioFinished: { recorder: Recorder } }).ScenarioFinished.recorder;
      for (const [id, ix] of Object.entries(recorder.interactions ?? {})) {
        const c = recorder.cases[id]?.value;
        if (!c || !ix.response) continue;
        const content = ix.response.content;
        const body =
          typeof content === 'string'
            ? content
            : content && '$base64' in content
              ? Buffer.from(content.$base64, 'base64').toString('utf8')
              : '';
        out.push({
          pass,
          method: ix.request.method,
          path: c.path,
          uri: ix.request.uri,
          sentAuth: Object.keys(ix.request.headers ?? {}).some((h) => h.toLowerCase() === 'authorization'),
          status: ix.response.status_code,
          body,
        });
      }
    }
  }
  return out;
}
interface Recorder {
  cases: Record<string, { value: { path: string } }>;
  interactions?: Record<
    string,
    {
      request: { method: string; uri: string; headers?: Record<string, unknown> };
      response?: { status_code: number; content?: string | { $base64: string } | null };
    }
  >;
}

const isEnvelope = (body: string): boolean => {
  try {
    const e = (JSON.parse(body) as { error?: unknown }).error as { code?: unknown; message?: unknown } | undefined;
    return typeof e?.code === 'string' && /^[a-z_]+$/.test(e.code) && typeof e.message === 'string';
  } catch {
    return false;
  }
};

const paths = openApiDocument.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;

describe('scripts/fuzz.sh (Schemathesis, every check, three auth variations)', () => {
  let all: Exchange[] = [];
  let output = '';

  beforeAll(async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        [`${ROOT}scripts/fuzz.sh`],
        { env: process.env, maxBuffer: 64 << 20, timeout: 600_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    output = `${result.stdout}\n${result.stderr}`;
    expect({ code: result.code, output: output.slice(-4000) }).toEqual({ code: 0, output: expect.any(String) });
    all = exchanges();
  }, 660_000);

  it('generated requests in every pass and printed how many', () => {
    const printed = Number(/fuzz: (\d+) generated requests/.exec(output)?.[1]);
    expect(printed).toBeGreaterThan(1000);
    for (const pass of PASSES) expect(all.filter((x) => x.pass === pass).length).toBeGreaterThan(200);
    // The number in the report, for whoever reads the run's log.
    process.stdout.write(`fuzz: ${printed} test cases generated, ${all.length} exchanges recorded\n`);
  });

  it('never answers 500, nor a status the document does not list for the operation', () => {
    const bad = all.filter((x) => {
      if (x.status >= 500 && x.status !== 503) return true;
      const ops = paths[x.path];
      const op = ops?.[x.method.toLowerCase()];
      // A method the path does not take is answered 405 (HEAD rides on GET).
      if (!op) return x.method === 'HEAD' ? !ops?.get : x.status !== 405;
      return !(String(x.status) in op.responses);
    });
    expect(
      bad.slice(0, 10).map((x) => `${x.pass} ${x.method} ${x.uri} -> ${x.status} ${x.body.slice(0, 200)}`),
    ).toEqual([]);
  });

  it('answers every error in the {"error":{"code","message"}} envelope', () => {
    const bad = all.filter((x) => x.status >= 400 && x.method !== 'HEAD' && !isEnvelope(x.body));
    expect(
      bad.slice(0, 10).map((x) => `${x.pass} ${x.method} ${x.uri} -> ${x.status} ${x.body.slice(0, 200)}`),
    ).toEqual([]);
  });

  it('answers 401 to every /api request without a valid token', () => {
    const unauthenticated = all.filter(
      (x) => new URL(x.uri).pathname.startsWith('/api/') && (x.pass !== 'valid' || !x.sentAuth),
    );
    expect(unauthenticated.length).toBeGreaterThan(200);
    // 405 is decided by the path alone, before authentication; everything else must stop at the token.
    const bad = unauthenticated.filter((x) => x.status !== 401 && x.status !== 405);
    expect(
      bad.slice(0, 10).map((x) => `${x.pass} ${x.method} ${x.uri} -> ${x.status} ${x.body.slice(0, 200)}`),
    ).toEqual([]);
  });

  it('leaves the database consistent: every post has like_count = count(likes)', async () => {
    // The truth-writer flushes every LIKEPIPE_FLUSH_INTERVAL_MS; wait for what the fuzzer's likes left in flight.
    const drift = await waitFor(
      'every post to have like_count = count(likes)',
      async () => {
        const { rows } = await db.query<{ id: string }>(
          `SELECT p.id FROM posts p
            WHERE p.like_count <> (SELECT count(*) FROM likes l WHERE l.post_id = p.id) LIMIT 10`,
        );
        return rows.length === 0 ? rows : false;
      },
      60_000,
    );
    expect(drift).toEqual([]);
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM posts');
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
  });

  it('serves a document whose every operation is a real route', async () => {
    const postId = await createPost();
    for (const [path, ops] of Object.entries(paths)) {
      for (const method of Object.keys(ops)) {
        const r = await call(method.toUpperCase(), path.replace('{id}', postId), {
          user: 'route-check',
        });
        expect({ path, method, noRoute: /no route/.test(JSON.stringify(r.body)) }).toEqual({
          path,
          method,
          noRoute: false,
        });
      }
    }
    const served = await call('GET', '/openapi.json');
    expect(served.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });
});

/** One raw HTTP/1.1 exchange over a socket: whatever the client library would refuse to send. */
function raw(text: string | Buffer, timeoutMs = 10_000): Promise<{ status: number; body: string; closed: boolean }> {
  const { hostname, port } = new URL(API);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
    }, timeoutMs);
    const done = () => {
      const s = Buffer.concat(chunks).toString('utf8');
      const head = s.slice(0, s.indexOf('\r\n\r\n'));
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
      const body = s.slice(head.length + 4);
      if (Number.isNaN(length) || Buffer.byteLength(body) < length) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(s)?.[1]), body, closed: true });
      return true;
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      done();
    });
    socket.on('end', () => {
      if (!done()) {
        clearTimeout(timer);
        reject(
          new Error(`connection closed without a complete answer: ${Buffer.concat(chunks).toString().slice(0, 300)}`),
        );
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(text);
  });
}

describe('malformed requests below the schema', () => {
  let auth = '';
  let postId = '';
  const host = () => new URL(API).host;
  beforeAll(async () => {
    auth = `Bearer ${await token('malformed-sender')}`;
    postId = await createPost();
  });

  const req = (head: string, body: string | Buffer = '') =>
    Buffer.concat([Buffer.from(`${head.replaceAll('\n', '\r\n')}\r\n\r\n`), Buffer.from(body)]);

  const cases: [string, () => Buffer, number, string][] = [
    [
      'bad percent-encoding in the path',
      () => req(`POST /api/posts/%E0%A4%A/like HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Length: 0`),
      400,
      'invalid_request',
    ],
    [
      'an overlong id',
      () => req(`GET /api/posts/${'a'.repeat(4000)} HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}`),
      400,
      'invalid_request',
    ],
    [
      'a URL over the header size limit',
      () => req(`GET /api/posts/${'a'.repeat(70_000)} HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}`),
      431,
      'invalid_request',
    ],
    [
      'a JSON body sent as text/plain',
      () =>
        req(
          `POST /api/posts HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Type: text/plain\nContent-Length: 8`,
          '{"id":1}',
        ),
      415,
      'unsupported_media_type',
    ],
    [
      'invalid JSON',
      () =>
        req(
          `POST /api/posts HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Type: application/json\nContent-Length: 9`,
          '{"id": x}',
        ),
      400,
      'invalid_request',
    ],
    [
      'a body in an unsupported Content-Encoding',
      () =>
        req(
          `POST /api/posts HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Type: application/json\nContent-Encoding: compress\nContent-Length: 8`,
          'whatever',
        ),
      415,
      'unsupported_media_type',
    ],
    [
      'garbage brotli',
      () =>
        req(
          `POST /api/posts HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Type: application/json\nContent-Encoding: br\nContent-Length: 12`,
          'not brotli!!',
        ),
      400,
      'invalid_request',
    ],
    [
      'garbage gzip',
      () => {
        const gz = gzipSync('{"id":"x"}').subarray(0, 12);
        return req(
          `POST /api/posts HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Type: application/json\nContent-Encoding: gzip\nContent-Length: ${gz.length + 4}`,
          Buffer.concat([gz, Buffer.from('junk')]),
        );
      },
      400,
      'invalid_request',
    ],
    [
      'an oversized body',
      () => {
        const body = JSON.stringify({ id: 'x'.repeat(20_000) });
        return req(
          `POST /api/posts HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Type: application/json\nContent-Length: ${body.length}`,
          body,
        );
      },
      413,
      'payload_too_large',
    ],
    [
      'two different Content-Lengths',
      () =>
        req(
          `POST /api/posts HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Type: application/json\nContent-Length: 2\nContent-Length: 3`,
          '{}',
        ),
      400,
      'invalid_request',
    ],
    [
      'Content-Length with chunked',
      () =>
        req(
          `POST /api/posts HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Type: application/json\nTransfer-Encoding: chunked\nContent-Length: 2`,
          '2\r\n{}\r\n0\r\n\r\n',
        ),
      400,
      'invalid_request',
    ],
    [
      'two different idempotency keys in one header',
      () =>
        req(
          `POST /api/posts/${postId}/like HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nIdempotency-Key: a\nIdempotency-Key: b\nContent-Length: 0`,
        ),
      400,
      'invalid_request',
    ],
    [
      'a header line without a colon',
      () => req(`GET /api/feed HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nthis is not a header`),
      400,
      'invalid_request',
    ],
    [
      'an unknown method on a known path',
      () => req(`PATCH /api/posts/${postId}/like HTTP/1.1\nHost: ${host()}\nAuthorization: ${auth}\nContent-Length: 0`),
      405,
      'method_not_allowed',
    ],
  ];

  it.each(cases)('answers %s with a 4xx in the envelope', async (_name, make, status, code) => {
    const r = await raw(make());
    expect({ status: r.status, envelope: isEnvelope(r.body) }).toEqual({ status, envelope: true });
    expect((JSON.parse(r.body) as { error: { code: string } }).error.code).toBe(code);
  });

  it('answers two Authorization headers as one (the first): no token confusion, no 500', async () => {
    const forged = `Bearer ${await token('mallory', { secret: 'y'.repeat(40) })}`;
    const r = await raw(
      req(`GET /api/feed HTTP/1.1\nHost: ${host()}\nAuthorization: ${forged}\nAuthorization: ${auth}`),
    );
    expect(r.status).toBe(401);
    expect(isEnvelope(r.body)).toBe(true);
  });

  it('still serves well-formed requests on the same server afterwards (nothing hung)', async () => {
    const r = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${API}/api/posts/${postId}`);
      request(u, { headers: { authorization: auth } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(r).toBe(200);
  });
});
