/**
 * kubectl-free validation of the extra manifests (the ones the chart lacks) against the Kubernetes
 * OpenAPI schemas bundled in kubernetes-models: types, required fields and enums, with the path of
 * the first problem. (kubernetes-models does not reject unknown fields; the kind/apiVersion table
 * below does reject objects of a kind or version we did not mean to produce.)
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, ServiceAccount } from 'kubernetes-models/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { renderRelease, type Release } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { helmBin } from '../support/tools.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The kinds jitsi-k8s may generate, at the API version it means; anything else is a failure. */
const MODELS: Record<string, new (data: Any) => { validate(): void }> = {
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'rbac.authorization.k8s.io/v1/Role': Role,
  // its constructor's type wants roleRef and subjects up front; validate() checks them like the others
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as new (data: Any) => { validate(): void },
};

/** Throws with the path of the first problem. */
function validateManifest(obj: Any): void {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const Model = MODELS[key];
  if (!Model) throw new Error(`unexpected manifest ${key} (${obj.metadata?.name}): add its model to the table if it is meant`);
  if (!obj.metadata?.name) throw new Error(`${key}: metadata.name is missing`);
  new Model(obj).validate();
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function helmTemplate(r: Release): Promise<Any[]> {
  const dir = mkdtempSync(join(tmpdir(), 'jk8s-manifests-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(r.extras!.files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  const res = await run(helmBin(), ['template', r.extras!.release, dir, '-n', r.namespace, '-f', '-'], { input: stringify(r.extras!.secretValues) });
  return parseAllDocuments(res.stdout).map((d) => d.toJS()).filter(Boolean);
}

const pangolin = (extra: Any = {}) => ({ mode: 'pangolin', pangolin: { endpoint: 'https://pangolin.example.com' }, ...extra });

const CASES: [string, Any, Record<string, number>][] = [
  ['hostPort, 3 bridges, autoscale 2-6', { nodes: { count: 6 }, exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 3, autoscale: { enabled: true, min: 2, max: 6, cpuPercent: 60 } } } }, { HorizontalPodAutoscaler: 1, PodDisruptionBudget: 1, ServiceAccount: 1, Role: 1, RoleBinding: 1, ConfigMap: 1, Deployment: 1 }],
  ['hostPort, 1 bridge, autoscale 1-1', { exposure: { mode: 'hostPort', publicIP: undefined }, components: { jvb: { autoscale: { enabled: true, min: 1, max: 1 } } } }, { HorizontalPodAutoscaler: 1, PodDisruptionBudget: 1, ServiceAccount: 1, Role: 1, RoleBinding: 1, ConfigMap: 1, Deployment: 1 }],
  ['pangolin, 1 bridge', { exposure: pangolin() }, { Deployment: 1 }],
  ['pangolin, 3 bridges, VPS address, other release/namespace', { cluster: { release: 'team-meet', namespace: 'video' }, exposure: pangolin({ publicIP: '198.51.100.7' }), components: { jvb: { replicas: 3 } } }, { Deployment: 1, PodDisruptionBudget: 1 }],
];

describe('extra manifests validate against the Kubernetes schemas (no kubectl)', () => {
  it.each(CASES)('%s', (_name, overrides, kinds) => {
    const r = renderRelease(config(overrides), FIXED_SECRETS);
    // helm templates (the Newt Secret) are validated after real helm fills them, below
    const manifests = (r.extras?.manifests ?? []).filter((m) => !m.helmTemplate);
    const counted: Record<string, number> = {};
    for (const m of manifests) {
      expect(() => validateManifest(m.object), `${m.kind} ${m.name}`).not.toThrow();
      expect((m.object as Any).kind).toBe(m.kind);
      expect((m.object as Any).metadata.name).toBe(m.name);
      expect((m.object as Any).metadata.namespace).toBe(r.namespace);
      counted[m.kind] = (counted[m.kind] ?? 0) + 1;
    }
    expect(counted).toEqual(kinds);
    for (const m of manifests.filter((x) => x.kind === 'HorizontalPodAutoscaler')) {
      const spec = (m.object as Any).spec;
      // the autoscaler targets a bridge Deployment the chart really creates, within the configured range
      expect(r.jvbDeployments).toContain(spec.scaleTargetRef.name);
      expect(spec.minReplicas).toBe(overrides.components.jvb.autoscale.min);
      expect(spec.maxReplicas).toBe(overrides.components.jvb.autoscale.max);
      expect(spec.minReplicas).toBeLessThanOrEqual(spec.maxReplicas);
    }
  });

  it('a config that needs no extras has none', () => {
    expect(renderRelease(config(), FIXED_SECRETS).extras).toBeUndefined();
  });

  it('the extras chart rendered by real helm (Newt Secret from secrets on stdin) validates, Secret and Deployment agree', async () => {
    const r = renderRelease(config({ exposure: pangolin({ publicIP: '198.51.100.7' }) }), FIXED_SECRETS);
    const docs = await helmTemplate(r);
    expect(docs.map((d) => d.kind).sort()).toEqual(['Deployment', 'Secret']);
    for (const d of docs) expect(() => validateManifest(d), `${d.kind} ${d.metadata?.name}`).not.toThrow();
    const secret = docs.find((d) => d.kind === 'Secret')!;
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    expect(secret.metadata.namespace).toBe(r.namespace);
    const refs = deployment.spec.template.spec.containers[0].env.filter((e: Any) => e.valueFrom?.secretKeyRef).map((e: Any) => e.valueFrom.secretKeyRef);
    expect(refs.length).toBeGreaterThan(0);
    expect(Buffer.from(secret.data.NEWT_SECRET, 'base64').toString()).toBe(FIXED_SECRETS.newt!.secret);
    for (const ref of refs) {
      expect(ref.name).toBe(secret.metadata.name);
      expect(Object.keys(secret.data)).toContain(ref.key);
    }
    // what helm renders is the object we generated
    expect(deployment).toEqual(r.extras!.manifests.find((m) => m.kind === 'Deployment')!.object);
  });

  it('the extras chart of the hostPort autoscale config renders valid HPAs through real helm', async () => {
    const r = renderRelease(config(CASES[0]![1]), FIXED_SECRETS);
    const docs = await helmTemplate(r);
    expect(docs.length).toBe(r.extras!.manifests.length);
    for (const d of docs) expect(() => validateManifest(d)).not.toThrow();
  });
});

describe('the validation can fail', () => {
  const hpa = () => structuredClone(renderRelease(config(CASES[0]![1]), FIXED_SECRETS).extras!.manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')!.object) as Any;
  const newt = () => structuredClone(renderRelease(config({ exposure: pangolin() }), FIXED_SECRETS).extras!.manifests.find((m) => m.kind === 'Deployment')!.object) as Any;

  it.each([
    ['maxReplicas as a string', () => ((o: Any) => ((o.spec.maxReplicas = '4'), o))(hpa()), /spec\/maxReplicas must be integer/],
    ['maxReplicas missing', () => ((o: Any) => (delete o.spec.maxReplicas, o))(hpa()), /spec must have required property '?maxReplicas/],
    ['averageUtilization as a word', () => ((o: Any) => ((o.spec.metrics[0].resource.target.averageUtilization = 'seventy'), o))(hpa()), /averageUtilization must be integer/],
    ['a container without a name', () => ((o: Any) => (delete o.spec.template.spec.containers[0].name, o))(newt()), /containers\/0 must have required property '?name/],
    ['replicas as a string', () => ((o: Any) => ((o.spec.replicas = '1'), o))(newt()), /spec\/replicas must be integer/],
    ['a Secret with a non-string value', () => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { NEWT_ID: 123 } }), /stringData\/NEWT_ID must be string/],
    ['the wrong API version', () => ((o: Any) => ((o.apiVersion = 'autoscaling/v1'), o))(hpa()), /unexpected manifest autoscaling\/v1\/HorizontalPodAutoscaler/],
  ])('%s is rejected with its path', (_name, make, message) => {
    expect(() => validateManifest(make() as Any)).toThrow(message);
  });
});
