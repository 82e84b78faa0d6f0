/**
 * The bridges' graceful shutdown as the REAL API server stores it: the built bin applies the real
 * jitsi-meet 3.4.0 chart with real helm 3 (post-renderer by path), then upgrades it with real helm 4
 * (post-renderer as a plugin); each time every JVB Deployment carries the preStop graceful shutdown,
 * the grace period of components.jvb.drain.timeout and SHUTDOWN_REST_ENABLED. Then the
 * PodDisruptionBudget of the extras chart against the real eviction API (the disruption controller of
 * the test's kube-controller-manager keeps its status): with the nodes cordoned, as a node drain does,
 * one bridge may go, a second is refused while the first is gone, and allowed once it is back.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cluster, helmAsync as helm, kubectlAsync as kubectl, realClusterWork, skipReason, waitForReadyPods } from '../support/control-plane.js';
import { helm3Bin } from '../support/tools.js';

const real = realClusterWork('jk8s-drain-install');
const GRACEFUL = '/usr/share/jitsi-videobridge/graceful_shutdown.sh';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let ns = '';
const configPath = join(real.dir, 'jitsi-k8s.yaml');
const writeConfig = (timeout: string, web: number) =>
  writeFileSync(
    configPath,
    stringify({
      domain: 'meet.test.invalid',
      cluster: { namespace: ns, release: 'jitsi' },
      components: { web: { replicas: web }, jvb: { replicas: 3, drain: { timeout } } },
      exposure: { mode: 'loadBalancer', publicIP: '203.0.113.10' },
      tls: { mode: 'none' },
    }),
  );

const json = async (args: string[]): Promise<Any> => JSON.parse(await kubectl([...args, '--namespace', ns, '-o', 'json']));
const jvbDeployments = async () =>
  ((await json(['get', 'deployments', '-l', 'app.kubernetes.io/component=jvb'])).items as Any[]).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

async function expectDrainOnEveryBridge(graceSeconds: number): Promise<void> {
  const deployments = await jvbDeployments();
  expect(deployments.map((d) => d.metadata.name)).toEqual(['jitsi-jitsi-meet-jvb-0', 'jitsi-jitsi-meet-jvb-1', 'jitsi-jitsi-meet-jvb-2']);
  for (const d of deployments) {
    const pod = d.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds, d.metadata.name).toBe(graceSeconds);
    expect(pod.containers.find((c: Any) => c.name === 'jitsi-meet').lifecycle.preStop.exec.command).toEqual([GRACEFUL]);
    // the env comes from the jvb ConfigMap the container reads through envFrom
    expect(pod.containers[0].envFrom.map((e: Any) => e.configMapRef?.name)).toContain('jitsi-jitsi-meet-jvb');
  }
  const env = await json(['get', 'configmap', 'jitsi-jitsi-meet-jvb']);
  expect(env.data.SHUTDOWN_REST_ENABLED).toBe('true');
}

/** POST the eviction subresource, as kubectl drain and node upgrades do: the HTTP status tells allowed (201) from refused (429). */
async function evict(pod: string): Promise<{ allowed: boolean; text: string }> {
  const body = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: ns } });
  try {
    const out = await kubectl(['create', '--raw', `/api/v1/namespaces/${ns}/pods/${pod}/eviction`, '-f', '-'], body);
    return { allowed: true, text: out };
  } catch (e) {
    return { allowed: false, text: String((e as Error).message) };
  }
}

async function pdbAllows(expected: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pdb = await json(['get', 'poddisruptionbudget', 'jitsi-jitsi-meet-jvb']);
    if (pdb.status?.disruptionsAllowed === expected && pdb.status?.observedGeneration === pdb.metadata.generation) return;
    if (Date.now() > deadline) throw new Error(`the budget never allowed ${expected}: ${JSON.stringify(pdb.status)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  await real.setUp();
  ns = real.space('jk8s-drain', { loadBalancers: { '*': { ip: '203.0.113.10' } } });
});
afterAll(() => real.cleanUp());

describe.skipIf(!cluster)(`the bridges' graceful shutdown on a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it(
    'install with helm 3: every JVB Deployment stored has the preStop hook, the grace period and SHUTDOWN_REST_ENABLED',
    { timeout: 10 * 60_000 },
    async () => {
      writeConfig('30m', 1);
      const r = await real.jitsiK8s(['apply', '--yes', '--config', configPath], { JITSI_K8S_HELM: helm3Bin() });
      expect(r.code, r.stderr).toBe(0);
      await expectDrainOnEveryBridge(30 * 60 + 120);
    },
  );

  it('a later upgrade with helm 4 (a drain timeout and web replicas changed) keeps them, with the new grace period', { timeout: 10 * 60_000 }, async () => {
    const before = (JSON.parse(await helm(['history', 'jitsi', '--namespace', ns, '--output', 'json'])) as unknown[]).length;
    writeConfig('20m', 2);
    const r = await real.jitsiK8s(['apply', '--yes', '--json', '--config', configPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outcomes.find((o: Any) => o.id === 'jitsi-meet').status).toBe('done');
    expect((JSON.parse(await helm(['history', 'jitsi', '--namespace', ns, '--output', 'json'])) as unknown[]).length).toBe(before + 1);
    await expectDrainOnEveryBridge(20 * 60 + 120);
    // and the next apply of the same config sees nothing to change
    const again = await real.jitsiK8s(['apply', '--yes', '--json', '--config', configPath]);
    expect(JSON.parse(again.stdout).outcomes.find((o: Any) => o.id === 'jitsi-meet').status).toBe('unchanged');
  });

  it(
    "apply that changes the bridges' pod template with participants on them: says which and who, exit 2 without --yes, nothing changed",
    { timeout: 5 * 60_000 },
    async () => {
      const history = await helm(['history', 'jitsi', '--namespace', ns, '--output', 'json']);
      const pods = (await json(['get', 'pods', '-l', 'app.kubernetes.io/component=jvb'])).items.map((p: Any) => `${p.metadata.name} ${p.metadata.uid}`).sort();
      writeConfig('25m', 2);
      const r = await real.jitsiK8s(['apply', '--config', configPath]);
      expect(r.code, r.stderr).toBe(2);
      // the stand-in bridge reports 3 participants in 1 conference per bridge
      expect(r.stderr).toMatch(
        /this change restarts jitsi-jitsi-meet-jvb-0, jitsi-jitsi-meet-jvb-1, jitsi-jitsi-meet-jvb-2: 9 participant\(s\) in 3 conference\(s\) on them now/,
      );
      expect(r.stderr).toContain('pass --yes');
      expect(await helm(['history', 'jitsi', '--namespace', ns, '--output', 'json'])).toBe(history);
      expect(
        (await json(['get', 'pods', '-l', 'app.kubernetes.io/component=jvb'])).items.map((p: Any) => `${p.metadata.name} ${p.metadata.uid}`).sort(),
      ).toEqual(pods);
      await expectDrainOnEveryBridge(20 * 60 + 120);
      // a change that leaves the bridges alone needs no yes
      writeConfig('20m', 1);
      const web = await real.jitsiK8s(['apply', '--config', configPath]);
      expect(web.code, web.stderr).toBe(0);
      expect(web.stderr).not.toContain('this change restarts');
    },
  );

  it('the PodDisruptionBudget: the eviction API lets one bridge go and refuses a second while the first is gone', { timeout: 5 * 60_000 }, async () => {
    const pods = await waitForReadyPods(ns, 'app.kubernetes.io/component=jvb', 3);
    await pdbAllows(1);
    const nodes = (await kubectl(['get', 'nodes', '-o', 'name'])).split('\n').filter(Boolean);
    // a node drain cordons first: the evicted bridge's replacement cannot start anywhere
    for (const n of nodes) await kubectl(['cordon', n]);
    try {
      const first = await evict(pods[0]!.name);
      expect(first.allowed, first.text).toBe(true);
      const second = await evict(pods[1]!.name);
      expect(second.allowed).toBe(false);
      expect(second.text).toMatch(/disruption budget/);
      // still three bridge pods asked for, one of them Pending, and the second bridge still there
      expect((await json(['get', 'pod', pods[1]!.name])).metadata.deletionTimestamp).toBeUndefined();
    } finally {
      for (const n of nodes) await kubectl(['uncordon', n]);
    }
    // once the first bridge is back, one may go again
    await waitForReadyPods(ns, 'app.kubernetes.io/component=jvb', 3);
    await pdbAllows(1);
    expect((await evict(pods[1]!.name)).allowed).toBe(true);
  });
});
