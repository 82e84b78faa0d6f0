/** The worker program the Job's pods run: dist/worker.mjs (built by `npm run build`), gzipped for the ConfigMap. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CommandError } from '../../errors.js';

/** A ConfigMap holds at most 1 MiB in all; leave room for the spec. */
const MAX_BUNDLE_BYTES = 900 * 1024;

/** dist/worker.mjs of this package (from dist/ when installed, from src/ in a checkout). */
export function workerBundlePath(from = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'worker.mjs');
  }
  return join(dirname(from), 'worker.mjs');
}

/** The bundle gzipped and base64-encoded, as the ConfigMap's binaryData wants it. */
export function readWorkerBundle(path = workerBundlePath()): string {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch {
    throw new CommandError(`the load-generator program ${path} is missing`, 'build it with `npm run build` (it bundles src/bench/k8s/worker-main.ts)');
  }
  const b64 = gzipSync(raw, { level: 9 }).toString('base64');
  if (b64.length > MAX_BUNDLE_BYTES) throw new CommandError(`the load-generator program is ${Math.round(b64.length / 1024)} KiB packed: too big for a ConfigMap`, 'report this: the bundle must stay under 900 KiB');
  return b64;
}
