/**
 * The built bin against the test control plane (real kube-apiserver, controller-manager, scheduler,
 * etcd; kwok nodes), with real helm and the real jitsi-meet chart from JITSI_K8S_CHART: init → apply (LB host name resolved) → re-apply → scale → status →
 * uninstall, preflight and RBAC. The test plays the cloud (test/support/cloud.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cluster, helmAsync as helm, kubectlAsync as kubectl, realClusterWork, skipReason, TEST_STORAGE_CLASS } from '../support/control-plane.js';

const real = realClusterWork('jk8s-real');
const work = real.dir;
const jitsiK8s = (args: string[], extra: Record<string, string> = {}) => real.jitsiK8s(args, extra);

const history = async (release: string, ns: string) => JSON.parse(await helm(['history', release, '--namespace', ns, '--output', 'json'])) as { revision: number; status: string }[];
const releases = async (ns: string) => (JSON.parse(await helm(['list', '--namespace', ns, '--output', 'json'])) as { name: string; status: string }[]).map((r) => `${r.name} ${r.status}`);
const names = async (kind: string, ns: string) => (await kubectl(['get', kind, '--namespace', ns, '-o', 'name'])).split('\n').filter(Boolean).sort();

function initArgs(ns: string, configPath: string, more: string[]): string[] {
  return ['init', '--yes', '--no-apply', '--out', configPath, '--domain', 'meet.test.invalid', '--namespace', ns, '--jvb-replicas', '1', ...more];
}

beforeAll(() => real.setUp());
afterAll(() => real.cleanUp());

describe.skipIf(!cluster)(`apply and operate on a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  describe('loadBalancer: init → apply → re-apply → scale → status → uninstall', () => {
    const configPath = join(work, 'lb.yaml');
    let ns: string;
    beforeAll(() => {
      // AWS style: the load balancer reports only a host name (localhost: resolved from /etc/hosts, never contacted)
      ns = real.space('jk8s-lb', { loadBalancers: { '*': { hostname: 'localhost' } }, bindClaims: true });
    });

    it('init --yes writes the config; apply installs, resolves the LB host name and advertises its IP', { timeout: 10 * 60_000 }, async () => {
      const init = await jitsiK8s(initArgs(ns, configPath, ['--exposure', 'loadBalancer', '--tls', 'none', '--jibri', '--jibri-storage', '1Gi', '--storage-class', TEST_STORAGE_CLASS]));
      expect(init.code, init.stderr).toBe(0);
      const c = parse(readFileSync(configPath, 'utf8'));
      c.components.prosody.persistence = { enabled: true, size: '1Gi', storageClass: TEST_STORAGE_CLASS };
      writeFileSync(configPath, stringify(c));
      const r = await jitsiK8s(['apply', '--yes', '--json', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.advertised).toBe('127.0.0.1');
      expect(parse(readFileSync(configPath, 'utf8')).exposure.publicIP).toBe('127.0.0.1');
      expect((await history('jitsi', ns)).map((h) => h.status)).toEqual(['superseded', 'deployed']);
      const values = JSON.parse(await helm(['get', 'values', 'jitsi', '--namespace', ns, '--output', 'json']));
      expect(values.jvb.publicIPs).toEqual(['127.0.0.1']);
      expect(await names('deployments', ns)).toEqual(expect.arrayContaining(['deployment.apps/jitsi-jitsi-meet-jvb-0', 'deployment.apps/jitsi-jitsi-meet-web', 'deployment.apps/jitsi-jitsi-meet-jibri']));
      expect(await names('pvc', ns)).toEqual(['persistentvolumeclaim/jitsi-jitsi-meet-jibri', 'persistentvolumeclaim/prosody-data-jitsi-jitsi-meet-prosody-0']);
    });

    it('apply again: no new helm revision', { timeout: 5 * 60_000 }, async () => {
      const before = (await history('jitsi', ns)).length;
      const r = await jitsiK8s(['apply', '--yes', '--json', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).outcomes.find((o: { id: string }) => o.id === 'jitsi-meet').status).toBe('unchanged');
      expect((await history('jitsi', ns)).length).toBe(before);
    });

    it('scale jvb 2: one new revision, two bridge Deployments, two UDP ports on the Service', { timeout: 8 * 60_000 }, async () => {
      const before = (await history('jitsi', ns)).length;
      const r = await jitsiK8s(['scale', 'jvb', '2', '--yes', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      expect((await history('jitsi', ns)).length).toBe(before + 1);
      expect((await names('deployments', ns)).filter((n) => n.includes('-jvb-'))).toEqual(['deployment.apps/jitsi-jitsi-meet-jvb-0', 'deployment.apps/jitsi-jitsi-meet-jvb-1']);
      const svc = JSON.parse(await kubectl(['get', 'service', 'jitsi-jitsi-meet-jvb', '--namespace', ns, '-o', 'json']));
      expect(svc.spec.ports.map((p: { port: number; protocol: string }) => `${p.port}/${p.protocol}`)).toEqual(['10000/UDP', '10001/UDP']);
    });

    it('status --json reads the real Deployments and pods', { timeout: 2 * 60_000 }, async () => {
      const r = await jitsiK8s(['status', '--json', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      const jvb = s.components.find((c: { component: string }) => c.component === 'jvb');
      expect(jvb).toMatchObject({ desired: 2, ready: 2 });
      expect(s.bridges).toHaveLength(2);
      expect(s.bridges.every((b: { ready: boolean; node?: string }) => b.ready && b.node)).toBe(true);
      expect(s.metricsApi).toBe(false);
      // kwok's kubelet has no Summary API either (test/k8s/kubelet-summary.test.ts)
      expect(s.cpuSource).toBe('none');
    });

    it('uninstall removes the releases and keeps the PVCs; --delete-data removes them', { timeout: 8 * 60_000 }, async () => {
      const r = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      expect(await releases(ns)).toEqual([]);
      expect(await names('deployments', ns)).toEqual([]);
      expect(await names('pvc', ns)).toContain('persistentvolumeclaim/prosody-data-jitsi-jitsi-meet-prosody-0');
      const again = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--delete-data', '--config', configPath]);
      expect(again.code, again.stderr).toBe(0);
      expect(await names('pvc', ns)).toEqual([]);
    });
  });
  describe('tailscale: the web Ingress tailnet name becomes publicURL and is saved', () => {
    const configPath = join(work, 'ts.yaml');
    const fqdn = 'meet.tailnet-test.ts.net';
    // the operator's API group, so preflight sees an installed operator (its chart is on the internet: installOperator false)
    const crd = 'proxyclasses.tailscale.com';
    let ns: string;
    beforeAll(async () => {
      // the test plays the Tailscale operator: the JVB Service status as it writes it (its MagicDNS name first, then the
      // tailnet IP; `localhost` stands for the name, so reading it instead of the IP shows as 127.0.0.1 and queries no DNS),
      // and a tailnet name for the web Ingress
      ns = real.space('jk8s-ts', { loadBalancers: { 'jitsi-jitsi-meet-jvb': [{ hostname: 'localhost' }, { ip: '127.0.0.2' }] }, ingresses: { 'jitsi-jitsi-meet-web': { hostname: fqdn } } });
      await kubectl(['apply', '-f', '-'], stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crd },
        spec: {
          group: 'tailscale.com',
          names: { kind: 'ProxyClass', plural: 'proxyclasses', singular: 'proxyclass', listKind: 'ProxyClassList' },
          scope: 'Cluster',
          versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      }));
      await kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s']);
    });
    afterAll(async () => {
      if (cluster) await kubectl(['delete', 'crd', crd, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    });

    it('apply reads the FQDN from the Ingress status, renders publicURL https://<fqdn> and saves exposure.tailscale.fqdn; apply again changes nothing', { timeout: 8 * 60_000 }, async () => {
      const init = await jitsiK8s(initArgs(ns, configPath, ['--exposure', 'tailscale', '--tailscale-hostname', 'meet', '--tls', 'none']), { TS_OAUTH_CLIENT_ID: 'ts-client-test', TS_OAUTH_CLIENT_SECRET: 'ts-secret-test' });
      expect(init.code, init.stderr).toBe(0);
      const c = parse(readFileSync(configPath, 'utf8'));
      c.exposure.tailscale.installOperator = false;
      writeFileSync(configPath, stringify(c));
      const r = await jitsiK8s(['apply', '--yes', '--json', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`saved exposure.tailscale.fqdn: ${fqdn}`);
      expect(parse(readFileSync(configPath, 'utf8')).exposure.tailscale).toMatchObject({ hostname: 'meet', fqdn });
      expect((await history('jitsi', ns)).map((h) => h.status)).toEqual(['superseded', 'deployed']);
      const values = JSON.parse(await helm(['get', 'values', 'jitsi', '--namespace', ns, '--output', 'json']));
      expect(values.publicURL).toBe(`https://${fqdn}`);
      expect(values.jvb.publicIPs).toEqual(['127.0.0.2']);
      const again = await jitsiK8s(['apply', '--yes', '--json', '--config', configPath]);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).outcomes.find((o: { id: string }) => o.id === 'jitsi-meet').status).toBe('unchanged');
      expect((await history('jitsi', ns)).length).toBe(2);
    });
  });

  it('preflight against the real nodes and storage classes: a missing class and a missing metrics API stop apply before anything changes', { timeout: 5 * 60_000 }, async () => {
    const ns = real.space('jk8s-pre');
    const configPath = join(work, 'pre.yaml');
    const init = await jitsiK8s(initArgs(ns, configPath, ['--exposure', 'hostPort', '--tls', 'none', '--autoscale', '--autoscale-max', '2', '--jibri', '--jibri-storage', '1Gi', '--storage-class', 'no-such-class']));
    expect(init.code, init.stderr).toBe(0);
    const r = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/on 3 schedulable nodes/);
    expect(r.stderr).toContain('jibri: storage class "no-such-class" does not exist');
    expect(r.stderr).toContain('metrics.k8s.io is not served');
    expect(r.stderr).toContain('preflight failed (2 checks): storage, metricsServer — nothing was changed');
    expect(await kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name'])).toBe('');
  });

  it('credentials that may only manage the namespace: preflight names each missing permission, nothing changes', { timeout: 5 * 60_000 }, async () => {
    const ns = real.space('jk8s-rbac');
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['create', 'serviceaccount', 'deployer', '--namespace', ns]);
    // everything the chart creates, in this namespace only: no nodes, no pods/proxy
    await kubectl(['apply', '-f', '-'], [
      stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'deployer', namespace: ns },
        rules: [
          { apiGroups: ['', 'apps', 'networking.k8s.io', 'autoscaling'], resources: ['pods', 'services', 'secrets', 'configmaps', 'serviceaccounts', 'persistentvolumeclaims', 'deployments', 'statefulsets', 'ingresses', 'horizontalpodautoscalers'], verbs: ['*'] },
        ],
      }),
      stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'deployer', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' }, subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: ns }] }),
    ].join('---\n'));
    const token = (await kubectl(['create', 'token', 'deployer', '--namespace', ns, '--duration', '1h'])).trim();
    const admin = JSON.parse(await kubectl(['config', 'view', '--raw', '--minify', '-o', 'json']));
    const saKubeconfig = join(work, 'deployer.kubeconfig');
    writeFileSync(
      saKubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: admin.clusters[0].cluster }],
        users: [{ name: 'deployer', user: { token } }],
        contexts: [{ name: admin['current-context'], context: { cluster: 'test', user: 'deployer', namespace: ns } }],
        'current-context': admin['current-context'],
      }),
      { mode: 0o600 },
    );
    const configPath = join(work, 'rbac.yaml');
    expect((await jitsiK8s(initArgs(ns, configPath, ['--exposure', 'loadBalancer', '--public-ip', '127.0.0.1', '--tls', 'none', '--nodes', '3', '--node-cpu', '8', '--node-memory', '32']))).code).toBe(0);
    const r = await jitsiK8s(['apply', '--yes', '--config', configPath], { KUBECONFIG: saKubeconfig });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('these credentials may not: list nodes (cluster-wide) (sizing and preflight read the nodes)');
    expect(r.stderr).toContain(`get pods/proxy in ${ns} (reading /colibri/stats from the bridges)`);
    expect(r.stderr).toContain('nothing was changed');
    expect(await releases(ns)).toEqual([]);
  });
});
