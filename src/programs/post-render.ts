/**
 * jitsi-k8s-jvb-drain: helm's post-renderer (helm 3 `--post-renderer <this>`, helm 4 a plugin of
 * type postrenderer/v1 running it). helm writes the rendered manifests to stdin and reads the
 * patched ones from stdout; the one argument is the patches file (render/drain.ts). Bundled into
 * dist/post-render.mjs with everything it needs.
 */
import { readFileSync } from 'node:fs';
import { applyPatches, parsePatches } from '../render/post-render.js';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: post-render.mjs <patches.yaml> < manifests');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  process.stdout.write(applyPatches(Buffer.concat(chunks).toString('utf8'), parsePatches(readFileSync(file, 'utf8'))));
}

main().catch((e: unknown) => {
  process.stderr.write(`error: jitsi-k8s-jvb-drain post-renderer: ${(e as Error).message}\n`);
  process.exit(1);
});
