// Reading and running the docker-archive tarballs scripts/images.sh writes, the way a container runtime would:
// manifest.json names the image config and the layers; the layers, applied in order (whiteouts honoured), make
// the root filesystem; runc runs the config's entrypoint there as the config's user.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface ArchiveManifest {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}
export interface ImageConfig {
  config: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string>;
  };
  rootfs: { type: string; diff_ids: string[] };
}

/** One member of a tar file, as text. */
async function tarMember(archive: string, member: string): Promise<string> {
  const { stdout } = await exec('tar', ['-xOf', archive, member], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** manifest.json (exactly one image) and that image's config. */
export async function readArchive(archive: string): Promise<{ manifest: ArchiveManifest; config: ImageConfig }> {
  const manifests = JSON.parse(await tarMember(archive, 'manifest.json')) as ArchiveManifest[];
  if (manifests.length !== 1) throw new Error(`${archive}: ${manifests.length} images in manifest.json, expected 1`);
  const manifest = manifests[0]!;
  const config = JSON.parse(await tarMember(archive, manifest.Config)) as ImageConfig;
  return { manifest, config };
}

/**
 * The archive `npm run images` wrote for image NAME, checked as a docker-archive (named NAME-<hash>.tar, its
 * manifest.json with the one repo tag REF, every layer its config lists present), and what it holds.
 */
export async function checkedArchive(
  name: string,
  ref: string,
  archive: string,
): Promise<{ manifest: ArchiveManifest; config: ImageConfig }> {
  expect(archive).toMatch(new RegExp(`/images/${name}-[0-9a-f]{16}\\.tar$`));
  expect(existsSync(archive)).toBe(true);
  const { manifest, config } = await readArchive(archive);
  // buildah writes the fully qualified name, `docker save` the familiar one; both load as the same image.
  expect(manifest.RepoTags).toHaveLength(1);
  expect([ref, `docker.io/${ref}`]).toContain(manifest.RepoTags[0]);
  expect(manifest.Layers.length).toBe(config.rootfs.diff_ids.length);
  const { stdout } = await exec('tar', ['-tf', archive], { maxBuffer: 16 * 1024 * 1024 });
  const members = new Set(stdout.trim().split('\n'));
  expect(manifest.Layers.filter((l) => !members.has(l))).toEqual([]);
  return { manifest, config };
}

/** The image's root filesystem under DIR/rootfs: each layer extracted in order, whiteouts applied. */
export async function unpackRootfs(archive: string, dir: string): Promise<string> {
  const { manifest } = await readArchive(archive);
  const layers = join(dir, 'layers');
  const rootfs = join(dir, 'rootfs');
  await mkdir(layers, { recursive: true });
  await mkdir(rootfs, { recursive: true });
  await exec('tar', ['-xf', archive, '-C', layers, ...manifest.Layers]);
  for (const layer of manifest.Layers) {
    const path = join(layers, layer);
    const { stdout } = await exec('tar', ['-tf', path], { maxBuffer: 256 * 1024 * 1024 });
    // A whiteout hides what lower layers put at its path; an opaque whiteout empties its directory.
    for (const entry of stdout.split('\n').filter((e) => /(^|\/)\.wh\./.test(e))) {
      const slash = entry.lastIndexOf('/');
      const parent = entry.slice(0, slash + 1);
      const base = entry.slice(slash + 1);
      if (base === '.wh..wh..opq')
        await exec('find', [join(rootfs, parent), '-mindepth', '1', '-delete']).catch(() => 0);
      else await rm(join(rootfs, parent, base.slice('.wh.'.length)), { recursive: true, force: true });
    }
    await exec('tar', ['-xf', path, '-C', rootfs, '--numeric-owner', '--same-permissions', '--exclude=.wh.*']);
    await rm(path);
  }
  return rootfs;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A volume of the container: a host directory bound (read-only unless `writable`), or an empty tmpfs. */
export type Volume =
  | { destination: string; bind: string; writable?: boolean }
  | { destination: string; tmpfs: { uid: number; gid: number; mode: string } };

/**
 * Runs the image unpacked at `rootfs` with runc as its config says (entrypoint + `args`, or `command` in place of
 * the entrypoint, like `docker run --entrypoint`), its Env plus `env`, its WorkingDir and User, the root
 * filesystem read-only (as the chart and the operator run it) with `volumes` mounted over it (as a pod's volumes
 * are) and no network but loopback.
 */
export async function runImage(
  rootfs: string,
  image: ImageConfig,
  opts: {
    args?: string[];
    command?: string[];
    env?: Record<string, string>;
    volumes?: Volume[];
    timeoutMs?: number;
  } = {},
): Promise<RunResult> {
  const c = image.config;
  const [uid, gid] = (c.User ?? '0:0').split(':').map((n) => Number(n));
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`non-numeric image user '${c.User}'`);
  const args = opts.command ?? [...(c.Entrypoint ?? []), ...(opts.args ?? c.Cmd ?? [])];
  const bundle = await mkdtemp(join(tmpdir(), 'likepipe-runc-'));
  const state = join(bundle, 'state');
  try {
    await exec('runc', ['spec', '--bundle', bundle]);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as {
      process: Record<string, unknown>;
      root: Record<string, unknown>;
      hostname?: string;
      mounts: Record<string, unknown>[];
    };
    spec.process = {
      ...spec.process,
      terminal: false,
      args,
      env: [...(c.Env ?? []), ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)],
      cwd: c.WorkingDir || '/',
      user: { uid, gid },
    };
    spec.root = { path: rootfs, readonly: true };
    spec.hostname = 'likepipe-image-test';
    for (const v of opts.volumes ?? []) {
      if ('bind' in v)
        spec.mounts.push({
          destination: v.destination,
          type: 'bind',
          source: v.bind,
          options: ['rbind', v.writable ? 'rw' : 'ro'],
        });
      else
        spec.mounts.push({
          destination: v.destination,
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', 'nodev', `mode=${v.tmpfs.mode}`, `uid=${v.tmpfs.uid}`, `gid=${v.tmpfs.gid}`],
        });
    }
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const id = `likepipe-image-test-${process.pid}-${Date.now()}`;
    return await new Promise<RunResult>((resolve, reject) => {
      const child = spawn('runc', ['--root', state, 'run', '--bundle', bundle, id], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Killing the container (not runc) ends `runc run`; the bundle and its state go only after that.
      const timer = setTimeout(() => {
        timedOut = true;
        void exec('runc', ['--root', state, 'kill', id, 'KILL']).catch(() => child.kill('SIGKILL'));
      }, opts.timeoutMs ?? 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (timedOut)
          reject(new Error(`${args.join(' ')} did not exit within ${opts.timeoutMs ?? 30_000} ms: ${stderr}`));
        else resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  } finally {
    await rm(bundle, { recursive: true, force: true });
  }
}
