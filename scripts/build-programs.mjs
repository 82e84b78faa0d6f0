// Bundles the small programs jitsi-k8s hands to others into single files with every dependency
// inside: dist/post-render.mjs (helm's post-renderer for the bridges' graceful shutdown, run by
// helm on this machine) and dist/keeper.mjs (the deletion-cost keeper, run in the cluster from a
// ConfigMap of the extras chart, so it needs node and nothing else).
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const name of ['post-render', 'keeper']) {
  const outfile = join(root, 'dist', `${name}.mjs`);
  await build({
    entryPoints: [join(root, `src/programs/${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    legalComments: 'none',
    // CommonJS dependencies (yaml) call require() for Node's own modules
    banner: { js: "import { createRequire as __jk8sRequire } from 'node:module'; const require = __jk8sRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  // stderr: `npm pack --json` runs the build (prepare) and its stdout must stay JSON
  console.error(`dist/${name}.mjs: ${Math.round(statSync(outfile).size / 1024)} KiB`);
}
