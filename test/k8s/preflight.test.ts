/**
 * runPreflight against the REAL API server: its version, kwok nodes (one cordoned, one tainted,
 * added by the test), StorageClasses made with kubectl, the kubeconfig's real context, and the
 * metrics API that no metrics-server serves here. What it cannot show (a CNI's pods, container
 * runtimes, cert-manager and Tailscale API groups, an unreachable server, one forbidden read) stays
 * with the look-alike API server in test/cluster/preflight.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { runPreflight, type PreflightResult } from '../../src/cluster/preflight.js';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import { addTestNode, cluster, kubectl, skipReason } from '../support/control-plane.js';

const id = Date.now().toString(36).slice(-5);
const ns = `jk8s-pre-${id}`;
const rwoClass = `local-path-${id}`;
const rwxClass = `nfs-${id}`;
const cordoned = `cordoned-${id}`;
const tainted = `tainted-${id}`;
let kube: Kube;

const config = (over: Partial<ConfigInput> = {}): Config => configSchema.parse({ domain: 'meet.example.com', tls: { mode: 'none' }, ...over, cluster: { namespace: ns, ...over.cluster } });
const check = (r: PreflightResult, name: string) => r.checks.find((c) => c.name === name)!;

beforeAll(() => {
  if (!cluster) return;
  kube = openKube({ kubeconfig: cluster.kubeconfig });
  kubectl(['apply', '-f', '-'], [
    stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: rwoClass }, provisioner: 'rancher.io/local-path' }),
    stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: rwxClass }, provisioner: 'nfs.csi.k8s.io' }),
  ].join('---\n'));
  // never schedulable, so the other tests' node counts stay as they are
  addTestNode({ name: cordoned });
  kubectl(['cordon', cordoned]);
  addTestNode({ name: tainted, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
});

afterAll(() => {
  if (!cluster) return;
  kubectl(['delete', 'node', cordoned, tainted, '--ignore-not-found']);
  kubectl(['delete', 'storageclass', rwoClass, rwxClass, '--ignore-not-found']);
});

describe.skipIf(!cluster)(`preflight against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('reads the server version, the context and the nodes; a namespace that does not exist will be created', async () => {
    const r = await runPreflight(kube, config());
    expect(check(r, 'api')).toMatchObject({ verdict: 'ok', message: expect.stringMatching(new RegExp(`^Kubernetes ${cluster!.version.replace(/\./g, '\\.')} at https://127\\.0\\.0\\.1:\\d+ \\(context \\S+\\)$`)) });
    expect(check(r, 'namespace').message).toBe(`namespace ${ns} does not exist yet; it will be created`);
    expect(check(r, 'resources')).toMatchObject({ verdict: 'ok', message: expect.stringMatching(/ allocatable on 3 schedulable nodes$/) });
  });

  it('hostPort bridges need one schedulable node each: the cordoned and the tainted node do not count', async () => {
    const r = await runPreflight(kube, config({ nodes: { count: 5 }, exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 5 } } }));
    const c = check(r, 'hostPortNodes');
    expect(c.verdict).toBe('fail');
    expect(c.message).toContain('3 schedulable nodes for 5 bridges (one per node with hostPort 10000/udp)');
    expect(c.message).toContain(`${cordoned} (cordoned)`);
    expect(c.message).toContain(`${tainted} (node-role.kubernetes.io/control-plane:NoSchedule)`);
    expect(c.message).toContain('2 of 5 bridges would stay Pending');
    expect(c.hint).toMatch(/uncordon/);
  });

  it('a storage class that does not exist fails naming the real ones; RWX on a ReadWriteOnce-only provisioner warns; an RWX class is fine', async () => {
    const missing = await runPreflight(kube, config({ components: { prosody: { persistence: { enabled: true, storageClass: 'fast-ssd' } } } }));
    expect(check(missing, 'storage')).toMatchObject({ verdict: 'fail', message: expect.stringMatching(new RegExp(`^prosody: storage class "fast-ssd" does not exist \\(available: .*${rwoClass}.*\\)$`)) });
    const rwx = await runPreflight(kube, config({ components: { jibri: { enabled: true, replicas: 2, storage: { enabled: true, storageClass: rwoClass } } } }));
    expect(check(rwx, 'storage')).toMatchObject({ verdict: 'warn', message: expect.stringContaining(`jibri: 2 pods share a ReadWriteMany volume, but "${rwoClass}" (rancher.io/local-path) only offers ReadWriteOnce`) });
    const nfs = await runPreflight(kube, config({ components: { jibri: { enabled: true, replicas: 1, storage: { enabled: true, storageClass: rwxClass } } } }));
    expect(check(nfs, 'storage')).toMatchObject({ verdict: 'ok', message: `volumes will use ${rwxClass}` });
  });

  it('no default storage class and none named → fail', async () => {
    const r = await runPreflight(kube, config({ components: { prosody: { persistence: { enabled: true } } } }));
    expect(check(r, 'storage').message).toMatch(/no storage class named and the cluster has no default class/);
  });

  it('requests that do not fit the nodes fail: one bridge larger than the largest node', async () => {
    const r = await runPreflight(kube, config({ components: { jvb: { resources: { requests: { cpu: '12', memory: '4Gi' } } } } }));
    expect(check(r, 'resources')).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/one jvb pod requests \S+ CPU .* more than the largest node offers \(8 \/ 32Gi\)/) });
  });

  it('more requested than the schedulable nodes offer in total fails, though each pod fits a node', async () => {
    const r = await runPreflight(kube, config({ components: { jvb: { replicas: 4, resources: { requests: { cpu: '7', memory: '4Gi' } } } } }));
    expect(check(r, 'resources')).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/^more than the cluster has: requests \S+ CPU \/ \S+ of 24 \/ 96Gi allocatable on 3 schedulable nodes$/) });
  });

  it('autoscaling without a metrics API fails', async () => {
    const r = await runPreflight(kube, config({ exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 1, autoscale: { enabled: true, max: 3 } } } }));
    expect(check(r, 'metricsServer')).toMatchObject({ verdict: 'fail', message: 'metrics.k8s.io is not served: the JVB autoscaler would never scale' });
  });

  it('a context other than the config’s fails, or warns with --yes', async () => {
    const cfg = config({ cluster: { namespace: ns, context: 'prod' } });
    expect(check(await runPreflight(kube, cfg), 'context')).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/^the config is for context "prod", but this run uses "\S+"$/) });
    expect(check(await runPreflight(kube, cfg, { yes: true }), 'context').verdict).toBe('warn');
  });
});
