/**
 * src/cluster/preflight.ts on recorded facts and against the LOOK-ALIKE API server
 * (test/support/fake-apiserver.ts), only for what the real test control plane cannot show: a CNI's
 * pods in kube-system, nodes' container runtimes (kwok reports none), the cert-manager and Tailscale
 * API groups, an API server that is down, and one read forbidden while the others are allowed.
 * Nodes (cordoned, tainted), storage classes, resources against allocatable, the metrics API and the
 * context run on the real API server in test/k8s/preflight.test.ts.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import { openKube } from '../../src/cluster/kube.js';
import { detectCni } from '../../src/cluster/cni.js';
import type { PodFact } from '../../src/cluster/preflight-facts.js';
import { permissionText, requiredPermissions } from '../../src/cluster/preflight-needs.js';
import { evaluatePreflight, runPreflight, type PreflightResult } from '../../src/cluster/preflight.js';
import { formatPreflight } from '../../src/ui/preflight.js';
import { emptyState, fakeNode, fakePod, fakeStorageClass, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

let api: FakeApiServer;
let kubeconfig: string;

const config = (over: Partial<ConfigInput> = {}): Config => configSchema.parse({ domain: 'meet.example.com', ...over });
const verdicts = (r: PreflightResult) => Object.fromEntries(r.checks.map((c) => [c.name, c.verdict]));
const check = (r: PreflightResult, name: string) => r.checks.find((c) => c.name === name)!;

beforeEach(async () => {
  api ??= await startFakeApiServer();
  kubeconfig ??= api.writeKubeconfig({ contexts: [{ name: 'fake', namespace: 'jitsi' }, { name: 'down', server: 'https://127.0.0.1:1' }] });
  Object.assign(api.state, { ...emptyState(), token: api.state.token });
  const s = api.state;
  s.nodes.push(fakeNode({ name: 'n1', cpu: '4', memory: '16Gi' }), fakeNode({ name: 'n2', cpu: '4', memory: '16Gi', runtime: 'cri-o://1.30.4' }), fakeNode({ name: 'n3', cpu: '4', memory: '16Gi' }));
  s.storageClasses.push(fakeStorageClass({ name: 'local-path', provisioner: 'rancher.io/local-path', isDefault: true }), fakeStorageClass({ name: 'nfs', provisioner: 'nfs.csi.k8s.io' }));
  s.pods.push(fakePod({ name: 'calico-node-x7k2p', namespace: 'kube-system', labels: { 'k8s-app': 'calico-node' }, container: 'calico-node' }), fakePod({ name: 'coredns-7db6d8ff4d-abcde', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }));
  s.apiGroups.push('metrics.k8s.io', 'cert-manager.io');
});
afterAll(() => api?.close());

describe('runPreflight on the look-alike API server', () => {
  it('a healthy cluster passes every check that applies to the config', async () => {
    const r = await runPreflight(openKube({ kubeconfig }), config());
    expect(verdicts(r)).toEqual({ api: 'ok', context: 'ok', permissions: 'ok', namespace: 'ok', podSecurity: 'ok', resources: 'ok', monitoring: 'ok', cni: 'ok', runtime: 'ok', certManager: 'ok' });
    expect(r.ok).toBe(true);
    expect(check(r, 'api').message).toBe(`Kubernetes v1.31.2 at ${api.url} (context fake)`);
    expect(check(r, 'namespace').message).toBe('namespace jitsi does not exist yet; it will be created');
    expect(check(r, 'cni').message).toBe('Calico: NetworkPolicies are enforced');
    expect(check(r, 'runtime').message).toBe('containerd 1.7.22 (2 nodes), cri-o 1.30.4 (n2)');
    expect(check(r, 'resources').message).toMatch(/^requests \S+ CPU \/ \S+ of 12 \/ 48Gi allocatable on 3 schedulable nodes$/);
    const paths = new Set(api.requests.map((q) => q.path));
    for (const p of ['/version', '/api/v1/nodes', '/apis/storage.k8s.io/v1/storageclasses', '/apis', '/api/v1/namespaces/jitsi', '/api/v1/namespaces/kube-system/pods']) expect(paths).toContain(p);
  });

  it('cert-manager and the Tailscale operator when the config needs them', async () => {
    api.state.apiGroups = [];
    const r = await runPreflight(openKube({ kubeconfig }), config({ exposure: { mode: 'tailscale', tailscale: { installOperator: false } } }));
    expect(check(r, 'certManager').verdict).toBe('fail');
    expect(check(r, 'tailscale').verdict).toBe('fail');
    api.state.apiGroups = ['tailscale.com'];
    const ok = await runPreflight(openKube({ kubeconfig }), config({ tls: { mode: 'none' }, exposure: { mode: 'tailscale', tailscale: { installOperator: false } } }));
    expect(verdicts(ok).tailscale).toBe('ok');
    expect(verdicts(ok).certManager).toBeUndefined();
  });

  it('an unreachable cluster reports only that, with the unreachable hint', async () => {
    const r = await runPreflight(openKube({ kubeconfig, context: 'down', timeoutMs: 3_000 }), config());
    expect(r.checks.map((c) => c.name)).toEqual(['api', 'context']);
    expect(check(r, 'api')).toMatchObject({ verdict: 'fail', hint: expect.stringMatching(/cluster unreachable — check --context \/ KUBECONFIG/) });
  });

  it('a forbidden read is a warning that says so, not a crash', async () => {
    api.state.faults.push({ path: /^\/api\/v1\/nodes$/, status: 403, message: 'nodes is forbidden: User "dev" cannot list resource "nodes" at the cluster scope' });
    const r = await runPreflight(openKube({ kubeconfig }), config());
    expect(check(r, 'resources')).toMatchObject({ verdict: 'warn', message: expect.stringMatching(/could not read nodes: .*forbidden \(403\)/), hint: expect.stringMatching(/RBAC/) });
  });

  it('formatPreflight prints a table and the hints of what is not ok', async () => {
    api.state.apiGroups = [];
    const text = formatPreflight(await runPreflight(openKube({ kubeconfig }), config()));
    expect(text).toMatch(/^preflight — context fake/);
    expect(text).toMatch(/FAIL\s+cert-manager\s+tls.mode is letsencrypt/);
    expect(text).toMatch(/ok\s+network plugin \(CNI\)\s+Calico/);
    expect(text).toMatch(/hint \(cert-manager\): install cert-manager/);
  });
});

describe('detectCni', () => {
  const pod = (name: string, labels: Record<string, string> = {}): PodFact => ({ name, namespace: 'kube-system', labels, images: [] });
  it.each([
    [[pod('calico-node-abcde')], 'Calico', 'enforced'],
    [[pod('cilium-8xk2p'), pod('cilium-operator-5d8b')], 'Cilium', 'enforced'],
    [[pod('kube-flannel-ds-q9z7x')], 'Flannel', 'not enforced'],
    [[pod('canal-7hd8s'), pod('kube-flannel-ds-x')], 'Canal', 'enforced'],
    [[pod('weave-net-2kd9s')], 'Weave Net', 'enforced'],
    [[pod('kube-router-xx')], 'kube-router', 'enforced'],
    [[pod('antrea-agent-77s')], 'Antrea', 'enforced'],
    [[pod('aws-node-4tq2l')], 'Amazon VPC CNI', 'depends'],
    [[pod('something', { 'k8s-app': 'calico-node' })], 'Calico', 'enforced'],
  ])('%j → %s (%s)', (pods, title, policy) => {
    expect(detectCni(pods)).toMatchObject({ title, networkPolicy: policy });
  });

  it('k3s: flannel is built in (no pod), recognised from the kubelet version', () => {
    const k3s = { name: 'k', cpuMilli: 1, memoryMiB: 1, ready: true, cordoned: false, blockingTaints: [], kubeletVersion: 'v1.31.2+k3s1' };
    expect(detectCni([pod('coredns-1')], [k3s])?.title).toBe('Flannel built into k3s');
  });

  it('unknown CNI → warn in preflight', () => {
    const facts = { context: 'c', currentContext: 'c', server: 's', version: 'v1', nodes: [], systemPods: [pod('coredns-1')], errors: {} };
    const r = evaluatePreflight(facts, config({ tls: { mode: 'none' } }));
    expect(check(r, 'cni').verdict).toBe('warn');
  });
});

describe('permissions the credentials need', () => {
  it('the list follows the config: namespace creation, storage classes, HPAs only when needed', () => {
    const texts = (c: ReturnType<typeof config>, nsExists: boolean) => requiredPermissions(c, nsExists).map(permissionText);
    const plain = texts(config(), true);
    expect(plain).toEqual(expect.arrayContaining(['list nodes (cluster-wide)', 'get pods/proxy in jitsi', 'create secrets in jitsi', 'update deployments.apps in jitsi', 'create ingresses.networking.k8s.io in jitsi']));
    expect(plain).not.toContain('create namespaces (cluster-wide)');
    expect(plain).not.toContain('list storageclasses.storage.k8s.io (cluster-wide)');
    expect(texts(config(), false)).toContain('create namespaces (cluster-wide)');
    const full = texts(config({ exposure: { mode: 'hostPort' }, components: { jvb: { autoscale: { enabled: true } }, prosody: { persistence: { enabled: true } } } }), true);
    expect(full).toEqual(expect.arrayContaining(['create horizontalpodautoscalers.autoscaling in jitsi', 'list storageclasses.storage.k8s.io (cluster-wide)']));
    expect(plain).not.toContain('patch persistentvolumeclaims in jitsi');
    expect(texts(config({ components: { jibri: { enabled: true, storage: { size: '1Gi' } } } }), true)).toContain('patch persistentvolumeclaims in jitsi');
    // the run's lock on the release, and the NetworkPolicies unless they are off
    expect(plain).toEqual(expect.arrayContaining(['create leases.coordination.k8s.io in jitsi', 'update leases.coordination.k8s.io in jitsi', 'delete leases.coordination.k8s.io in jitsi']));
    expect(plain).toContain('create networkpolicies.networking.k8s.io in jitsi');
    expect(texts(config({ security: { networkPolicies: 'off' } }), true)).not.toContain('create networkpolicies.networking.k8s.io in jitsi');
  });

  it('each missing permission is named, with why, and fails preflight', () => {
    const c = config({ tls: { mode: 'none' } });
    const permissions = requiredPermissions(c, true).map((p) => ({ ...p, allowed: !(p.resource === 'nodes' || p.subresource === 'proxy') }));
    const r = evaluatePreflight({ context: 'c', currentContext: 'c', server: 's', version: 'v1', nodes: [], systemPods: [], permissions, errors: {} }, c);
    expect(check(r, 'permissions')).toMatchObject({
      verdict: 'fail',
      message:
        'these credentials may not: list nodes (cluster-wide) (sizing and preflight read the nodes); get pods/proxy in jitsi (reading /colibri/stats from the bridges); create pods/proxy in jitsi (verify allocates a test endpoint on a bridge)',
    });
    expect(r.ok).toBe(false);
  });
});
