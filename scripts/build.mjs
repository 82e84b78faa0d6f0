// `npm run build`: the CLI as one esbuild bundle split into lazily loaded chunks (dist/cli.cjs + dist/chunks/),
// started by dist/launch.cjs through V8's code cache (src/launch.ts says why CommonJS); and every src/ module
// transpiled one-to-one (dist/<path>.js) for the scripts and benchmarks that import them.
// Heavy dependencies stay outside the bundle: they load from node_modules only when a command's action imports them.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBuiltin } from 'node:module';
import { build, transform } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Loaded only inside command actions (DESIGN.md "Lazy heavy imports"). */
export const LAZY_PACKAGES = ['puppeteer-core', '@kubernetes/client-node', '@inquirer/*', 'listr2', 'execa', 'ws'];

const sources = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => join(src, f));

rmSync(dist, { recursive: true, force: true });

// commander requires node:child_process when it loads (for executable subcommands, which jitsi-k8s has
// none of); child_process pulls in net, dgram and streams: ~10 ms of every start. Load it on first use.
const lazyChildProcessForCommander = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(join('node_modules', 'commander')) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, key) => (m ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

const common = { platform: 'node', target: 'node22.12', logLevel: 'warning' };

/**
 * Each chunk is written as the function expression src/launch.ts compiles (the names a CommonJS module gets
 * from its wrapper): the launcher compiles the file's text as read, without joining a copy of every chunk.
 */
const WRAPPER_HEAD = '(function (exports, require, module, __jk8s_url, __jk8s_import) {\n';
const builtin = (path) => path.startsWith('node:') || isBuiltin(path);

/**
 * The split ES bundle, rewritten chunk by chunk into the wrapped CommonJS that src/launch.ts runs: static imports become
 * require() of the wrapper, import() of a chunk or package becomes `__jk8s_import()`, import.meta.url `__jk8s_url`.
 * Returns the build's digest and, per chunk, the packages its static imports reach (the launcher imports them
 * before the chunk runs, so they load as ES modules, as before).
 */
async function commonJsChunks(outputs, metafile) {
  const files = new Map(outputs.map((o) => [relative(root, o.path), o.text]));
  const written = [];
  const chunks = Object.entries(metafile.outputs).filter(([out]) => out.endsWith('.js'));
  for (const [out, meta] of chunks) {
    let code = files.get(out);
    const dynamic = new Set(meta.imports.filter((i) => i.kind === 'dynamic-import').map((i) => (i.external ? i.path : `./${relative(dirname(out), i.path)}`)));
    for (const specifier of dynamic) {
      const call = new RegExp(`(?<![\\w$.])import\\(${JSON.stringify(specifier).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`, 'g');
      if (!call.test(code)) throw new Error(`${out}: import(${JSON.stringify(specifier)}) not found in the bundle output`);
      code = code.replace(call, `__jk8s_import(${JSON.stringify(specifier)})`);
    }
    const left = /(?<![\w$.])import\(\s*["'`]/.exec(code);
    if (left) throw new Error(`${out}: an import() the bundler did not list is left: ${code.slice(left.index, left.index + 60)}`);
    const map = files.get(`${out}.map`);
    const cjs = await transform(`${code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}`, {
      ...common,
      format: 'cjs',
      loader: 'js',
      minify: true,
      sourcemap: 'external',
      sourcefile: out,
      define: { 'import.meta.url': '__jk8s_url' },
    });
    const target = join(root, cjsName(out));
    mkdirSync(dirname(target), { recursive: true });
    const text = `${WRAPPER_HEAD}${cjs.code}})\n//# sourceMappingURL=${basename(target)}.map\n`;
    writeFileSync(target, text);
    // the map, one line down for the wrapper's head
    const sourceMap = JSON.parse(cjs.map);
    sourceMap.mappings = `;${sourceMap.mappings}`;
    writeFileSync(`${target}.map`, JSON.stringify(sourceMap));
    written.push(text);
  }
  // packages reached through static imports, over each chunk's static closure
  const staticPackages = (out, seen = new Set()) => {
    if (seen.has(out)) return [];
    seen.add(out);
    return metafile.outputs[out].imports
      .filter((i) => i.kind === 'import-statement')
      .flatMap((i) => (i.external ? (builtin(i.path) ? [] : [i.path]) : staticPackages(i.path, seen)));
  };
  const preload = {};
  for (const [out] of chunks) {
    const packages = [...new Set(staticPackages(out))];
    if (packages.length) preload[relative('dist', cjsName(out))] = packages;
  }
  if (preload['cli.cjs'])
    throw new Error(`the CLI's start path imports ${preload['cli.cjs'].join(', ')} statically: load it with await import() where it is used`);
  const buildId = createHash('sha256').update(written.sort().join('\0')).digest('hex').slice(0, 16);
  return { buildId, preload };
}
const cjsName = (out) => out.replace(/\.js$/, '.cjs');

const bundle = await build({
  ...common,
  format: 'esm',
  entryPoints: [join(src, 'cli.ts')],
  outdir: dist,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  absWorkingDir: root,
  external: LAZY_PACKAGES,
  // less to parse at every start; names and lines stay readable through the source maps
  minify: true,
  sourcemap: 'external',
  metafile: true,
  write: false,
  plugins: [lazyChildProcessForCommander],
});
const { buildId, preload } = await commonJsChunks(bundle.outputFiles, bundle.metafile);

await Promise.all([
  build({
    ...common,
    format: 'cjs',
    entryPoints: [join(src, 'launch.ts')],
    outfile: join(dist, 'launch.cjs'),
    bundle: true,
    define: { __JK8S_BUILD_ID__: JSON.stringify(buildId), __JK8S_PRELOAD__: JSON.stringify(preload) },
  }),
  build({
    ...common,
    format: 'esm',
    sourcemap: 'linked',
    entryPoints: sources.filter((f) => !['cli.ts', 'launch.ts'].includes(relative(src, f))),
    outbase: src,
    outdir: dist,
    bundle: false,
  }),
]);
