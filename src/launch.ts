/**
 * Starts the CLI from the bundle (dist/cli.cjs and dist/chunks/, CommonJS) through V8's code cache: a
 * command's first run stores what V8 compiled, later runs of that command skip parsing and compiling it.
 * The cache is taken at exit, so it holds the functions the command ran, which V8 compiles lazily on their
 * first call. Node's own compile cache (module.enableCompileCache) takes it right after each module is
 * compiled, without them: on Node 24 that start took about 20 % more CPU for --help and 40 % for render
 * (bench/results/startup-2026-12-07.md). Hence scripts/build.mjs turns the split ES bundle into CommonJS
 * chunks that this file loads with node:vm (an ES module cannot be run through node:vm without a flag).
 * Built alone into dist/launch.cjs (node built-ins only); bin/jitsi-k8s.js loads it.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/** Content digest of the bundle, set by scripts/build.mjs: caches of another build are never read. */
declare const __JK8S_BUILD_ID__: string;
/** Per chunk (path under dist/), the packages its static imports reach, set by scripts/build.mjs. */
declare const __JK8S_PRELOAD__: Record<string, string[]>;

interface Loaded {
  exports: unknown;
}

const dist = __dirname;
const nodeRequire = createRequire(join(dist, 'launch.cjs'));
const modules = new Map<string, Loaded>();
const toStore: { script: Script; file: string }[] = [];
/** Packages imported (as ES modules) before a chunk that needs them runs, as its require() returns them. */
const packages = new Map<string, object>();

/** ~/.cache/jitsi-k8s/v8/<build>-<node>-<arch>/<command>/: each command keeps what its own runs compiled. */
function cacheRoot(): string | undefined {
  if (process.env.JITSI_K8S_NO_CODE_CACHE) return undefined;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'jitsi-k8s', 'v8');
  // $HOME first, as os.homedir() does: loading node:os would cost every start
  const home = process.env.HOME || process.getBuiltinModule('node:os').homedir();
  return home ? join(home, '.cache', 'jitsi-k8s', 'v8') : undefined;
}
const root = cacheRoot();
const buildDir = `${__JK8S_BUILD_ID__}-${process.version}-${process.arch}`;
const command = /^[a-z][a-z-]*$/.exec(process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '')?.[0] ?? 'main';
const cacheDir = root && join(root, buildDir, command);

/** A bundle file's path under dist/ ("cli.cjs", "chunks/…"): the build's names for it. */
const inDist = (file: string) => file.slice(dist.length + 1);

function cacheFileOf(file: string): string | undefined {
  return cacheDir && join(cacheDir, `${inDist(file).replaceAll('/', '_')}.bin`);
}

function readCache(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Loads one bundle module (once), as CommonJS in this context, from the code cache when there is one. */
function load(file: string): unknown {
  const known = modules.get(file);
  if (known) return known.exports;
  const mod: Loaded = { exports: {} };
  modules.set(file, mod);
  const cacheFile = cacheFileOf(file);
  const cachedData = readCache(cacheFile);
  // the build wrote the chunk as a function expression: (function (exports, require, module, __jk8s_url, __jk8s_import) {…})
  const script = new Script(readFileSync(file, 'utf8'), { filename: file, cachedData });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) toStore.push({ script, file: cacheFile });
  const dir = dirname(file);
  const inBundle = (specifier: string) => resolve(dir, specifier.replace(/\.js$/, '.cjs'));
  const requireFromChunk = (specifier: string) => {
    if (specifier.startsWith('.')) return load(inBundle(specifier));
    return packages.get(specifier) ?? nodeRequire(specifier);
  };
  // the bundle's import() calls: its own chunks load here, packages and built-ins through Node's ES loader
  const importFromChunk = async (specifier: string) => (specifier.startsWith('.') ? loadLazy(inBundle(specifier)) : import(specifier));
  (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, requireFromChunk, mod, pathToFileURL(file).href, importFromChunk);
  return mod.exports;
}

/** A lazily loaded chunk: the packages it imports statically are imported first (they may be ES modules only). */
async function loadLazy(file: string): Promise<unknown> {
  const needed = (__JK8S_PRELOAD__[inDist(file)] ?? []).filter((p) => !packages.has(p));
  await Promise.all(
    needed.map(async (name) => {
      const namespace = (await import(name)) as Record<string, unknown>;
      // what esbuild's require() interop expects of an ES module: __esModule, then every export
      const asRequired = Object.defineProperty({}, '__esModule', { value: true });
      for (const key of Object.keys(namespace)) Object.defineProperty(asRequired, key, { enumerable: true, get: () => namespace[key] });
      packages.set(name, asRequired);
    }),
  );
  return load(file);
}

/** At exit: store what this run compiled for the modules that had no usable cache; never fails the command. */
function storeCaches(): void {
  if (!root || !cacheDir || toStore.length === 0) return;
  try {
    mkdirSync(cacheDir, { recursive: true });
    // one build's caches at a time: an upgrade or rebuild leaves nothing behind
    for (const other of readdirSync(root)) if (other !== buildDir) rmSync(join(root, other), { recursive: true, force: true });
    for (const { script, file } of toStore) {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, file);
    }
  } catch {
    // a read-only or full disk only costs the next start its compile time
  }
}

process.once('exit', storeCaches);
load(join(dist, 'cli.cjs'));
