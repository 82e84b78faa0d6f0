/**
 * Writes helm's post-renderer for one run into a temp folder: an executable wrapper that runs our
 * bundled dist/post-render.mjs with this node, the patches it applies, and for helm 4 a plugin of
 * type postrenderer/v1 around the wrapper (helm 4 takes a plugin name, found through HELM_PLUGINS,
 * which the step sets to this folder alone: the user's own plugins are never touched).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CommandError } from '../errors.js';
import { packageFile } from '../package-file.js';
import { PATCHES_FILE, POST_RENDERER_DIR, type Step } from './plan.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** dist/post-render.mjs of this package (the build makes it). */
export function postRenderProgram(): string {
  const path = fileURLToPath(packageFile('dist/post-render.mjs'));
  if (!existsSync(path)) throw new CommandError(`the post-renderer program ${path} is missing`, 'build it with `npm run build` (it bundles src/programs/post-render.ts)');
  return path;
}

/** The step with its post-renderer written out: args and env point at the folder; remove() deletes it. */
export function preparePostRenderer(step: Step): { args: string[]; env: Record<string, string> | undefined; remove: () => void } {
  if (!step.postRenderer) return { args: step.args, env: step.env, remove: () => undefined };
  const { name, patches } = step.postRenderer;
  const dir = mkdtempSync(join(tmpdir(), 'jitsi-k8s-post-render-'));
  try {
    const wrapper = join(dir, name);
    writeFileSync(wrapper, `#!/bin/sh\n# ${name}: helm's post-renderer for the JVB Deployments (jitsi-k8s)\nexec ${quote(process.execPath)} ${quote(postRenderProgram())} "$@"\n`);
    chmodSync(wrapper, 0o700);
    writeFileSync(join(dir, PATCHES_FILE), patches, { mode: 0o600 });
    const plugin = join(dir, 'plugins', name);
    mkdirSync(plugin, { recursive: true });
    const manifest = { apiVersion: 'v1', name, version: '0.1.0', type: 'postrenderer/v1', runtime: 'subprocess', runtimeConfig: { platformCommand: [{ command: wrapper }] } };
    writeFileSync(join(plugin, 'plugin.yaml'), stringify(manifest));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const fill = (a: string) => a.split(POST_RENDERER_DIR).join(dir);
  return {
    args: step.args.map(fill),
    env: step.env ? Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, fill(v)])) : undefined,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
