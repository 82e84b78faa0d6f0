/**
 * What the jitsi-k8s-jvb-drain post-renderer does to helm's rendered manifests: applies
 * strategic-merge patches of Deployments (render/drain.ts) — objects merge, `containers` merge by
 * name, anything else is replaced. A patch whose Deployment or container is not in the manifests is
 * an error: a drain that silently did not happen is what this exists to prevent. Documents are read
 * and written as YAML 1.1, as helm and the API server read them. Pure.
 */
import { parseAllDocuments, parseDocument, stringify } from 'yaml';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const BY_NAME = new Set(['containers', 'initContainers']);

function merge(target: unknown, patch: unknown, where: string): unknown {
  if (!isObj(target) || !isObj(patch)) return structuredClone(patch);
  const out: Obj = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (BY_NAME.has(key) && Array.isArray(value)) {
      const list = Array.isArray(current) ? [...(current as unknown[])] : [];
      for (const item of value) {
        const name = isObj(item) ? item.name : undefined;
        const i = list.findIndex((c) => isObj(c) && c.name === name);
        if (i < 0) throw new Error(`${where}: no ${key.replace(/s$/, '')} named "${String(name)}" to patch`);
        list[i] = merge(list[i], item, `${where} ${key}[${String(name)}]`);
      }
      out[key] = list;
    } else {
      out[key] = merge(current, value, where);
    }
  }
  return out;
}

interface Patch {
  kind: string;
  metadata: { name: string };
}

/** The patches file (multi-document YAML) as data. */
export function parsePatches(text: string): (Patch & Obj)[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((p): p is Patch & Obj => isObj(p) && typeof p.kind === 'string' && isObj(p.metadata) && typeof p.metadata.name === 'string');
}

/** helm's manifests with the patches applied; untouched documents are passed on as they came. */
export function applyPatches(manifests: string, patches: (Patch & Obj)[]): string {
  const docs = manifests.split(/^---[ \t]*$/m);
  const done = new Set<Patch>();
  const out = docs.map((text) => {
    // helm and the API server read YAML 1.1 (go-yaml): `defaultMode: 0755` is octal, a bare `yes` a boolean
    const doc = parseDocument(text, { version: '1.1' });
    const object = doc.toJS() as unknown;
    if (!isObj(object) || !isObj(object.metadata)) return text;
    const mine = patches.filter((p) => p.kind === object.kind && p.metadata.name === (object.metadata as Obj).name);
    if (mine.length === 0) return text;
    let patched: unknown = object;
    for (const p of mine) {
      const { apiVersion: _a, kind: _k, metadata: _m, ...body } = p;
      patched = merge(patched, body, `${p.kind} ${p.metadata.name}`);
      done.add(p);
    }
    // keep helm's "# Source:" line: it names the template in helm's own messages
    const comments = /^(?:\s*#.*\n|\s*\n)*/.exec(text)?.[0] ?? '';
    return `${comments.startsWith('\n') ? '' : '\n'}${comments}${stringify(patched, { lineWidth: 0, version: '1.1' })}`;
  });
  const missing = patches.filter((p) => !done.has(p));
  if (missing.length > 0) {
    throw new Error(`the rendered chart has no ${missing.map((p) => `${p.kind} ${p.metadata.name}`).join(', ')} to patch (is it chart jitsi-meet 3.4.0?)`);
  }
  return out.join('---');
}
