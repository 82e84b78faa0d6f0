// Bundles the load generator (src/bench/k8s/worker-main.ts) into one file, dist/worker.mjs, with
// every dependency inside: `bench --runner k8s` ships it in the Job's ConfigMap, so pods start
// from the stock puppeteer image without reaching a registry.
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Code the worker never runs, left out so the bundle fits a ConfigMap: browser downloads
 * (proxy-agent), @puppeteer/browsers' command line (yargs) and WebDriver BiDi (the worker speaks CDP).
 * Reaching one of them throws, naming it.
 */
const LEFT_OUT = /^(proxy-agent|yargs|yargs\/helpers|\.\.\/bidi\/bidi\.js)$/;
const leaveOut = {
  name: 'leave-out',
  setup(b) {
    b.onResolve({ filter: LEFT_OUT }, (a) => ({ path: a.path, namespace: 'left-out' }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (a) => {
      const fail = `() => { throw new Error(${JSON.stringify(`${a.path} is not in the jitsi-k8s worker bundle`)}); }`;
      // proxy-agent is imported statically (loading must not fail); the others are imported when used
      const contents = a.path === 'proxy-agent' ? `export class ProxyAgent { constructor() { (${fail})(); } }` : `(${fail})();`;
      return { contents, loader: 'js' };
    });
  },
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'worker.mjs');
await build({
  entryPoints: [join(root, 'src/bench/k8s/worker-main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // CommonJS dependencies call require() for Node's own modules
  banner: { js: "import { createRequire as __jk8sRequire } from 'node:module'; const require = __jk8sRequire(import.meta.url);" },
  // ws's optional native helpers: it falls back to JavaScript without them
  external: ['bufferutil', 'utf-8-validate'],
  plugins: [leaveOut],
  logLevel: 'warning',
});
// stderr: `npm pack --json` runs the build (prepare) and its stdout must stay JSON
console.error(`dist/worker.mjs: ${Math.round(statSync(outfile).size / 1024)} KiB`);
