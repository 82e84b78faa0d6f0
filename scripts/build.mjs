// `npm run build`: the CLI as one ES module bundle split into lazily loaded chunks (dist/cli.js + dist/chunks/),
// which bin/jitsi-k8s.js imports after turning on Node's compile cache; and every src/ module transpiled
// one-to-one (dist/<path>.js) for the scripts and benchmarks that import them.
// Heavy dependencies stay outside the bundle: they load from node_modules only when a command's action imports them.
import { readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBuiltin } from 'node:module';
import { build } from 'esbuild';

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
const builtin = (path) => path.startsWith('node:') || isBuiltin(path);

/** The bundle's start path (dist/cli.js and the chunks it imports statically) imports no package: each loads inside an action. */
function checkStartPath(metafile) {
  const packages = new Set();
  const visit = (out, seen = new Set()) => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const i of metafile.outputs[out].imports.filter((i) => i.kind === 'import-statement')) {
      if (!i.external) visit(i.path, seen);
      else if (!builtin(i.path)) packages.add(i.path);
    }
  };
  visit('dist/cli.js');
  if (packages.size) throw new Error(`the CLI's start path imports ${[...packages].join(', ')} statically: load it with await import() where it is used`);
}

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
  sourcemap: 'linked',
  metafile: true,
  // the bundled CommonJS packages (commander, yaml) call require() for Node's built-ins
  banner: { js: "import { createRequire as __jk8sRequire } from 'node:module'; const require = __jk8sRequire(import.meta.url);" },
  plugins: [lazyChildProcessForCommander],
});
checkStartPath(bundle.metafile);

await build({
  ...common,
  format: 'esm',
  sourcemap: 'linked',
  entryPoints: sources.filter((f) => relative(src, f) !== 'cli.ts'),
  outbase: src,
  outdir: dist,
  bundle: false,
});
