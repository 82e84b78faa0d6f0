// `npm run build`: the CLI as one esbuild bundle (dist/cli.js + lazily loaded dist/chunks/), and every
// src/ module transpiled one-to-one (dist/<path>.js) for the scripts and benchmarks that import them.
// Heavy dependencies stay outside the bundle: they load from node_modules only when a command's action imports them.
import { readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const common = { platform: 'node', target: 'node20.19', format: 'esm', sourcemap: 'linked', logLevel: 'warning' };

await Promise.all([
  build({
    ...common,
    entryPoints: [join(src, 'cli.ts')],
    outdir: dist,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    external: LAZY_PACKAGES,
    // bundled CommonJS packages (commander, yaml) call require() for node: built-ins
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // less to parse at every start; names and lines stay readable through the source map
    minify: true,
    plugins: [lazyChildProcessForCommander],
  }),
  build({
    ...common,
    entryPoints: sources.filter((f) => relative(src, f) !== 'cli.ts'),
    outbase: src,
    outdir: dist,
    bundle: false,
  }),
]);
