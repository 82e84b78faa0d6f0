/**
 * Which bridges an upgrade restarts: the JVB Deployments whose pod template differs between the
 * release's current manifest (`helm get manifest`) and what the upgrade would install (`helm
 * template` of the same chart, values and post-renderer), and the ones it removes. Both sides are
 * rendered by helm from the chart, so the comparison sees what the API server would be asked to change.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { CommandError } from '../errors.js';
import { run } from './exec.js';
import type { ToolInfo } from './helm.js';
import type { Step } from './plan.js';
import { preparePostRenderer } from './post-renderer.js';

type Obj = Record<string, unknown>;

/** JVB Deployments of a manifest stream, by name → pod template. */
export function jvbTemplates(manifest: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const d of parseAllDocuments(manifest, { version: '1.1' })) {
    const o = d.toJS() as Obj | null;
    const meta = o?.metadata as { name?: string; labels?: Record<string, string> } | undefined;
    if (o?.kind !== 'Deployment' || meta?.labels?.['app.kubernetes.io/component'] !== 'jvb' || !meta.name) continue;
    out.set(meta.name, (o.spec as Obj | undefined)?.template);
  }
  return out;
}

export interface BridgeChanges {
  /** Deployments whose pods are replaced */
  restarted: string[];
  /** Deployments the upgrade deletes */
  removed: string[];
}

/** Compares two manifests' JVB Deployments. */
export function compareJvb(current: string, next: string): BridgeChanges {
  const before = jvbTemplates(current);
  const after = jvbTemplates(next);
  return {
    restarted: [...before].filter(([name, t]) => after.has(name) && !isDeepStrictEqual(t, after.get(name))).map(([name]) => name),
    removed: [...before.keys()].filter((name) => !after.has(name)),
  };
}

/** The main release step as `helm template` (same chart, values on stdin, post-renderer); none of the install flags. */
function templateArgs(step: Step): string[] {
  const drop = new Set(['--install', '--create-namespace', '--atomic', '--wait', '--rollback-on-failure', '--wait=watcher']);
  const args: string[] = [];
  for (let i = 1; i < step.args.length; i++) {
    const a = step.args[i]!;
    if (drop.has(a)) continue;
    if (a === '--timeout') {
      i++;
      continue;
    }
    args.push(a);
  }
  return ['template', ...args];
}

/** What the main release's upgrade does to the bridges; undefined when the release is not installed yet. */
export async function bridgeChanges(helm: ToolInfo, step: Step, release: string, namespace: string, context: string[], signal: AbortSignal): Promise<BridgeChanges | undefined> {
  let current: string;
  try {
    current = (await run(helm.bin, ['get', 'manifest', release, '--namespace', namespace, ...context], { signal, timeoutMs: 60_000 })).stdout;
  } catch (e) {
    if (e instanceof CommandError && /not found/i.test(e.message)) return undefined;
    throw e;
  }
  const post = preparePostRenderer({ ...step, args: templateArgs(step) });
  try {
    const next = (await run(helm.bin, post.args, { input: step.stdin, env: post.env, signal, timeoutMs: 5 * 60_000 })).stdout;
    return compareJvb(current, next);
  } finally {
    post.remove();
  }
}
