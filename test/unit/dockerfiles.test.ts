// The two images cannot be built here (no Docker engine), so this checks what can be read from the Dockerfiles,
// .dockerignore and the tsconfig.json files: every workspace an image compiles reaches the compiler and the
// image, no workspace manifest is listed by hand, and npm ci's layers depend on manifests only.
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import ts from 'typescript';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const isDir = (path: string) => {
  try {
    return statSync(new URL(path, root)).isDirectory();
  } catch {
    return false;
  }
};

interface Copy {
  /** a stage name, or 'context' for the build context */
  from: string;
  sources: string[];
  dest: string;
  line: number;
}
interface Stage {
  name: string;
  workdir: string;
  copies: Copy[];
  runs: { text: string; line: number; copiesBefore: number }[];
}

/** The instructions of a Dockerfile: continuation lines joined, comment lines dropped. */
function instructions(text: string): { keyword: string; args: string; line: number }[] {
  const out: { keyword: string; args: string; line: number }[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && !pending)) return;
    const continued = line.endsWith('\\');
    const part = continued ? line.slice(0, -1) : line;
    pending = pending ? { text: `${pending.text} ${part}`, line: pending.line } : { text: part, line: i + 1 };
    if (!continued) {
      const [keyword = '', ...rest] = pending.text.trim().split(/\s+/);
      out.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending.line });
      pending = undefined;
    }
  });
  return out;
}

function parseDockerfile(path: string): Stage[] {
  const stages: Stage[] = [];
  for (const { keyword, args, line } of instructions(read(path))) {
    if (keyword === 'FROM') {
      const name = /\sAS\s+(\S+)/i.exec(args)?.[1] ?? `#${stages.length}`;
      stages.push({ name, workdir: '/', copies: [], runs: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue;
    if (keyword === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, args);
    if (keyword === 'RUN') stage.runs.push({ text: args, line, copiesBefore: stage.copies.length });
    if (keyword === 'COPY' || keyword === 'ADD') {
      const words = args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length) ?? 'context';
      const last = paths.pop() ?? '';
      // A destination is a directory when it says so (trailing slash) or when several sources go there.
      const dir = last.endsWith('/') || paths.length > 1;
      const dest = posix.resolve(stage.workdir, last) + (dir ? '/' : '');
      stage.copies.push({ from, sources: paths, dest, line });
    }
  }
  return stages;
}

/** Where `path` of `origin` ('context' or a stage) lands in `stage`, or undefined when no COPY brings it. */
function landsAt(stage: Stage, origin: string, path: string): string | undefined {
  let where: string | undefined;
  for (const copy of stage.copies.filter((c) => c.from === origin)) {
    for (const source of copy.sources) {
      const src = origin === 'context' ? posix.normalize(source).replace(/\/$/, '') : posix.normalize(source);
      const srcPath = src.replace(/\/$/, '');
      const sourceIsDir =
        origin === 'context'
          ? srcPath === '.' || isDir(srcPath)
          : source.endsWith('/') || !posix.basename(srcPath).includes('.');
      if (sourceIsDir) {
        // A directory's contents go into the destination.
        const rel = srcPath === '.' ? path : posix.relative(srcPath, path);
        if (rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel))) where = posix.join(copy.dest, rel);
      } else if (srcPath === path) {
        where = copy.dest.endsWith('/') ? posix.join(copy.dest, posix.basename(srcPath)) : copy.dest;
      }
    }
  }
  return where;
}

/** The workspace directories `tsc -b DIRS` builds: DIRS and, transitively, their project references. */
function referenceClosure(dirs: string[]): string[] {
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    for (const ref of tsconfig(dir).references ?? []) visit(posix.join(dir, ref.path));
  };
  dirs.forEach(visit);
  return [...seen].sort();
}

function tsconfig(dir: string): { extends?: string; references?: { path: string }[] } {
  const path = posix.join(dir, 'tsconfig.json');
  const parsed = ts.parseConfigFileTextToJson(path, read(path));
  if (parsed.error) throw new Error(`${path}: ${String(parsed.error.messageText)}`);
  return parsed.config as { extends?: string; references?: { path: string }[] };
}

/** `.dockerignore` as Docker reads it: the last pattern that matches a path (or a parent of it) decides. */
function dockerIgnored(path: string): boolean {
  const rules = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize(negate ? l.slice(1) : l).replace(/^\/|\/$/g, '');
      const source = pattern
        .split('/')
        .map((part) =>
          part === '**'
            ? '(?:.*)'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${source}$`) };
    });
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const { negate, re } of rules) if (prefixes.some((p) => re.test(p))) ignored = !negate;
  return ignored;
}

const rootManifest = JSON.parse(read('package.json')) as { workspaces: string[] };
const workspaces = rootManifest.workspaces;
const workspaceDeps = (dir: string) =>
  Object.keys((JSON.parse(read(posix.join(dir, 'package.json'))) as { dependencies?: object }).dependencies ?? {});
const workspaceNames = new Set(workspaces.map((w) => (JSON.parse(read(`${w}/package.json`)) as { name: string }).name));

describe.each([
  { dockerfile: 'apps/pipeline/Dockerfile', builds: ['apps/pipeline', 'apps/web'] },
  { dockerfile: 'operator/Dockerfile', builds: ['operator'] },
])('$dockerfile', ({ dockerfile, builds }) => {
  const stages = parseDockerfile(dockerfile);
  const final = stages.at(-1)!;
  const build = stages.find((s) => s.runs.some((r) => /\btsc -b\b/.test(r.text)));
  const tscRun = build?.runs.find((r) => /\btsc -b\b/.test(r.text));
  const targets = (/\btsc -b((?:\s+[\w./-]+)+)/.exec(tscRun?.text ?? '')?.[1] ?? '')
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '' && !t.startsWith('-'));
  const compiled = referenceClosure(builds);

  test(`its build stage runs tsc -b ${builds.join(' ')}`, () => {
    expect(build).toBeDefined();
    expect(targets.sort()).toEqual([...builds].sort());
  });

  test('every workspace tsc -b reaches (its tsconfig.json references, followed) has its tsconfig.json and src copied into the build stage, none of them excluded by .dockerignore', () => {
    const missing: string[] = [];
    for (const dir of compiled) {
      for (const path of [posix.join(dir, 'tsconfig.json'), posix.join(dir, 'src')]) {
        const want = posix.join(build!.workdir, path);
        if (landsAt(build!, 'context', path) !== want) missing.push(`${path} (not copied to ${want})`);
        if (dockerIgnored(path)) missing.push(`${path} (excluded by .dockerignore)`);
      }
      // And the file each tsconfig.json extends, so the compiler options are the repository's.
      const base = tsconfig(dir).extends;
      if (base) {
        const path = posix.join(dir, base);
        if (landsAt(build!, 'context', path) !== posix.join(build!.workdir, path)) missing.push(`${path} (extended)`);
      }
    }
    expect(compiled).toEqual(expect.arrayContaining(builds));
    expect(missing).toEqual([]);
  });

  test('every workspace tsc -b compiles has its dist copied from the build stage into the final stage', () => {
    const missing = compiled.filter(
      (dir) =>
        landsAt(final, build!.name, posix.join(build!.workdir, dir, 'dist')) !== posix.join(final.workdir, dir, 'dist'),
    );
    expect(missing).toEqual([]);
  });

  test('every compiled workspace with production dependencies has them installed (npm ci --omit=dev) and its package.json in the final stage', () => {
    const shipped = compiled.filter((dir) => workspaceDeps(dir).some((d) => !workspaceNames.has(d)));
    const problems: string[] = [];
    for (const dir of shipped) {
      const stage = stages.find((s) => s.runs.some((r) => /npm ci\b.*--omit=dev/.test(r.text)));
      const install = stage?.runs.find((r) => /npm ci\b.*--omit=dev/.test(r.text));
      if (!stage || !new RegExp(`--workspace[= ]${dir}(\\s|$)`).test(install!.text)) {
        problems.push(`${dir}: not an npm ci --omit=dev --workspace`);
        continue;
      }
      if (
        landsAt(final, stage.name, posix.join(stage.workdir, 'node_modules')) !==
        posix.join(final.workdir, 'node_modules')
      )
        problems.push(`${dir}: node_modules of ${stage.name} not in the final stage`);
      if (
        landsAt(final, stage.name, posix.join(stage.workdir, dir, 'package.json')) !==
        posix.join(final.workdir, dir, 'package.json')
      )
        problems.push(`${dir}: package.json not in the final stage`);
    }
    expect(shipped.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  test("no COPY names a workspace's package.json: one stage finds them all, and npm ci's layers copy only its result", () => {
    const named = stages.flatMap((s) =>
      s.copies.flatMap((c) =>
        c.sources
          .filter((src) => workspaces.some((w) => src.replace(/^\/?(src\/)?/, '') === `${w}/package.json`))
          .map((src) => `line ${c.line}: ${src}`),
      ),
    );
    expect(named).toEqual([]);

    // The stage that gathers them: the whole context in, `find` for every package.json and package-lock.json.
    const gather = stages.find((s) => s.runs.some((r) => /\bfind\b/.test(r.text) && r.text.includes('package.json')));
    expect(gather).toBeDefined();
    expect(gather!.runs.some((r) => r.text.includes('package-lock.json'))).toBe(true);
    expect(gather!.copies.some((c) => c.from === 'context' && c.sources.includes('.'))).toBe(true);
    // node_modules and dist never reach it (.dockerignore), so it finds only the repository's own manifests.
    for (const w of workspaces) {
      expect(dockerIgnored(`${w}/node_modules/zod/package.json`)).toBe(true);
      expect(dockerIgnored(`${w}/dist/index.js`)).toBe(true);
    }

    // Before each npm ci: the gathered manifests, and from the context single root files at most (never a
    // directory, so a source change cannot invalidate the install layer).
    for (const stage of stages) {
      for (const run of stage.runs.filter((r) => /\bnpm ci\b/.test(r.text))) {
        const before = stage.copies.slice(0, run.copiesBefore);
        expect(before.some((c) => c.from === gather!.name)).toBe(true);
        const wide = before.filter(
          (c) =>
            c.from !== gather!.name &&
            (c.from !== 'context' || c.sources.some((src) => src.includes('/') || isDir(src))),
        );
        expect(wide.map((c) => `line ${c.line}`)).toEqual([]);
      }
    }
  });
});
