// The data-store images (images/<store>/Dockerfile) cannot be built by the tests (scripts/images.sh builds
// images); this checks what can be read from them: they build from the Debian base alone with syntax both
// BuildKit's builtin frontend and buildah 1.28 read, their RUN scripts parse, their users are the ones the
// operator's pods run as, and the Kafka image resolves the jar set of the pom the local stack uses.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DATA_STORE_UID } from '@likepipe/operator/desired/images.js';
import { KAFKA_PATHS } from '@likepipe/operator/desired/kafka-config.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** Instructions with continuation lines joined and comment lines dropped (as the builders read them). */
function instructions(text: string): { keyword: string; args: string }[] {
  const out: { keyword: string; args: string }[] = [];
  let pending: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === undefined)) continue;
    const continued = line.endsWith('\\');
    const part = continued ? line.slice(0, -1) : line;
    pending = pending === undefined ? part : `${pending} ${part}`;
    if (!continued) {
      const [keyword = '', ...rest] = pending.trim().split(/\s+/);
      out.push({ keyword: keyword.toUpperCase(), args: rest.join(' ') });
      pending = undefined;
    }
  }
  return out;
}

const stores = [
  { store: 'redis', packages: ['redis-server', 'redis-tools'] },
  { store: 'kafka', packages: ['openjdk-17-jre-headless'] },
  { store: 'postgres', packages: ['postgresql-15'] },
] as const;

describe.each(stores)('images/$store/Dockerfile', ({ store, packages }) => {
  const text = read(`images/${store}/Dockerfile`);
  const all = instructions(text);
  const froms = all.filter((i) => i.keyword === 'FROM');
  const finalStage = all.slice(all.lastIndexOf(froms.at(-1)!));
  const runs = finalStage.filter((i) => i.keyword === 'RUN').map((i) => i.args);

  test('every stage starts FROM ${DEBIAN_IMAGE}, debian:bookworm-slim by default: no other image must exist', () => {
    expect(all[0]).toEqual({ keyword: 'ARG', args: 'DEBIAN_IMAGE=debian:bookworm-slim' });
    expect(froms.length).toBeGreaterThan(0);
    for (const f of froms) expect(f.args).toMatch(/^\$\{DEBIAN_IMAGE\}( AS \w+)?$/);
  });

  test('nothing buildah 1.28 or an offline BuildKit cannot read: no syntax directive, heredoc, or RUN/COPY flags', () => {
    // `# syntax=` makes BuildKit pull a frontend image; RUN --mount, heredocs and COPY's newer flags are not
    // buildah 1.28's. COPY --from=<stage> is the one flag both have always read.
    expect(text).not.toMatch(/^#\s*syntax=/m);
    // The instruction's own flags: the words before its first argument.
    const flags = all
      .filter((i) => i.keyword === 'RUN' || i.keyword === 'COPY')
      .flatMap((i) => (/^(--\S+\s+)*/.exec(i.args)?.[0] ?? '').split(/\s+/).filter(Boolean))
      .filter((w) => !w.startsWith('--from='));
    expect(flags).toEqual([]);
    expect(all.filter((i) => /<<[A-Z'"-]/.test(i.args))).toEqual([]);
  });

  test('every RUN script is valid sh', () => {
    for (const i of all.filter((x) => x.keyword === 'RUN')) {
      const r = spawnSync('sh', ['-n', '-c', i.args], { encoding: 'utf8' });
      expect({ run: i.args, stderr: r.stderr, status: r.status }).toEqual({ run: i.args, stderr: '', status: 0 });
    }
  });

  test(`its user is UID ${DATA_STORE_UID[store]}, the operator's runAsUser, made before the packages are installed`, () => {
    const uid = DATA_STORE_UID[store];
    const install = runs.findIndex((r) => /apt-get install/.test(r));
    const user = runs.findIndex((r) => new RegExp(`useradd [^;]*--uid ${uid} `).test(r));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(user).toBeGreaterThanOrEqual(0);
    expect(user).toBeLessThanOrEqual(install);
    if (user === install) expect(runs[user]!.indexOf('useradd')).toBeLessThan(runs[user]!.indexOf('apt-get install'));
    expect(runs[user]).toContain(`groupadd ${uid === 1000 ? '' : '--system '}--gid ${uid} `);
    for (const p of packages)
      expect(runs[install]).toMatch(new RegExp(`apt-get install -y --no-install-recommends [^;]*\\b${p}\\b`));
    expect(finalStage.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual([`${uid}:${uid}`]);
  });
});

describe('the Kafka jars', () => {
  const dockerfile = instructions(read('images/kafka/Dockerfile'));
  const kafkaSh = read('scripts/stack/kafka.sh');

  test("the image resolves images/kafka/pom.xml into the operator's libs path, which is what start.sh puts on the classpath", () => {
    expect(dockerfile).toContainEqual({ keyword: 'COPY', args: 'images/kafka/pom.xml ./' });
    const mvn = dockerfile.find((i) => i.keyword === 'RUN' && i.args.startsWith('mvn '))!;
    expect(mvn.args).toContain('-f pom.xml dependency:copy-dependencies -DincludeScope=runtime');
    expect(mvn.args).toContain(`-DoutputDirectory=${KAFKA_PATHS.libs}`);
    expect(dockerfile).toContainEqual({ keyword: 'COPY', args: `--from=jars ${KAFKA_PATHS.libs} ${KAFKA_PATHS.libs}` });
  });

  test('scripts/stack/kafka.sh installs the same pom (no second copy of it) and takes its versions from it', () => {
    expect(kafkaSh).toContain('KAFKA_POM="$LIKEPIPE_ROOT/images/kafka/pom.xml"');
    expect(kafkaSh).toContain('cp "$KAFKA_POM" "$work/pom.xml"');
    expect(kafkaSh).not.toContain('<dependency>');
    const pom = read('images/kafka/pom.xml');
    expect(pom).toMatch(/<kafka\.version>4\.\d+\.\d+<\/kafka\.version>/);
    expect(pom).toMatch(/<log4j\.version>2\.\d+\.\d+<\/log4j\.version>/);
  });
});
