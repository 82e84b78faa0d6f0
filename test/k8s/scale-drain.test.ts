/**
 * `jitsi-k8s scale jvb 2` from 4 drains the bridges that go, against the REAL API server with the
 * real chart and real helm, through the built bin. The STAND-IN bridge (test/support/standin-bridge.mjs,
 * a look-alike of JVB's drain and graceful-shutdown endpoints; Jitsi cannot run here) gives each pod IP
 * the participants this test writes. hostPort: the real ReplicaSet controller deletes exactly the pods
 * jitsi-k8s chose (the emptiest, through pod-deletion-cost). Behind a Service: the highest-numbered
 * bridges drain, the command waits, the test empties them, the scale completes. A SIGTERM during the
 * wait leaves 4 bridges, none in drain mode, no deletion cost changed, exit 143.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigAndSecrets } from '../../src/config/secrets-env.js';
import { createJvbScaler } from '../../src/pipeline/scale.js';
import {
  addTestNode,
  cluster,
  helmAsync as helm,
  kubectlAsync as kubectl,
  realClusterWork,
  skipReason,
  startStandinBridge,
  type StandinBridge,
} from '../support/control-plane.js';
import { cliBin, helmBin, kubectlBin } from '../support/tools.js';
import { testChart } from '../support/chart.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const real = realClusterWork('jk8s-scale-drain');
const loadFile = join(real.dir, 'bridge-load.json');
let bridge: StandinBridge | undefined;
const EXTRA_NODE = `jk8s-scale-drain-${real.runId}`;
const COST = 'controller.kubernetes.io/pod-deletion-cost';

/** The bridges of a namespace now: name, pod IP, deletion cost, leaving mark (terminating pods left out). */
async function bridges(ns: string): Promise<{ name: string; ip: string; cost?: string; leaving?: string }[]> {
  const list = JSON.parse(await kubectl(['get', 'pods', '--namespace', ns, '-l', 'app.kubernetes.io/component=jvb', '-o', 'json'])) as { items: Any[] };
  return list.items
    .filter((p) => !p.metadata.deletionTimestamp && p.status.podIP && p.status.conditions?.some((c: Any) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => ({ name: p.metadata.name, ip: p.status.podIP, cost: p.metadata.annotations?.[COST], leaving: p.metadata.annotations?.['jitsi-k8s/leaving'] }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function waitForBridges(ns: string, n: number): Promise<Awaited<ReturnType<typeof bridges>>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const b = await bridges(ns);
    const all = JSON.parse(await kubectl(['get', 'pods', '--namespace', ns, '-l', 'app.kubernetes.io/component=jvb', '-o', 'json'])).items.length;
    if (b.length === n && all === n) return b;
    if (Date.now() > deadline) throw new Error(`${n} Ready bridges not there: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** participants per pod IP, as the stand-in reports them */
const setLoad = (load: Record<string, number>) =>
  writeFileSync(
    loadFile,
    JSON.stringify(Object.fromEntries(Object.entries(load).map(([ip, n]) => [ip, { stats: { participants: n, conferences: Math.ceil(n / 5) } }]))),
  );

const drainOf = async (ns: string, pod: string) =>
  JSON.parse(await kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/${pod}:8080/proxy/colibri/drain`])).drain as boolean;
const revisions = async (ns: string) => (JSON.parse(await helm(['history', 'jitsi', '--namespace', ns, '--output', 'json'])) as unknown[]).length;

/** The built bin in the background: its stderr as it comes, and its exit. */
function startBin(args: string[]) {
  const child = spawn(process.execPath, [cliBin, ...args], {
    env: {
      ...process.env,
      CI: '1',
      NO_COLOR: '1',
      KUBECONFIG: cluster!.kubeconfig,
      JITSI_K8S_CHART: testChart(),
      JITSI_K8S_HELM: helmBin(),
      JITSI_K8S_KUBECTL: kubectlBin(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal }));
  return { child, exit, stderr: () => stderr };
}

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000, stderr?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000}s${stderr ? `\n${stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function writeConfig(path: string, ns: string, mode: 'hostPort' | 'loadBalancer', replicas: number): void {
  writeFileSync(
    path,
    stringify({
      domain: 'meet.test.invalid',
      cluster: { namespace: ns, release: 'jitsi' },
      nodes: { count: 4 },
      components: { jvb: { replicas } },
      exposure: mode === 'hostPort' ? { mode } : { mode, publicIP: '203.0.113.10' },
      tls: { mode: 'none' },
    }),
  );
}

beforeAll(async () => {
  if (!cluster) return;
  writeFileSync(loadFile, '{}');
  bridge = await startStandinBridge(loadFile);
  // hostPort: one bridge per node, four bridges need four nodes
  addTestNode({ name: EXTRA_NODE });
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  if (cluster) await kubectl(['delete', 'node', EXTRA_NODE, '--ignore-not-found']);
  await real.cleanUp();
});

describe.skipIf(!cluster)(`scale jvb drains the bridges that go, on a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  describe('hostPort: one Deployment of 4 bridges', () => {
    let ns = '';
    const configPath = join(real.dir, 'hostport.yaml');
    beforeAll(() => {
      ns = real.space('jk8s-sd-hp');
    });

    it('install 4 bridges', { timeout: 8 * 60_000 }, async () => {
      writeConfig(configPath, ns, 'hostPort', 4);
      const r = await real.jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      expect(await waitForBridges(ns, 4)).toHaveLength(4);
    });

    it('meetings on two bridges: the two empty ones go — the ReplicaSet deletes exactly the pods jitsi-k8s chose', { timeout: 8 * 60_000 }, async () => {
      const before = await waitForBridges(ns, 4);
      // the busy ones are not the first by name: the choice is by load, not by order
      const busy = [before[1]!, before[3]!];
      setLoad({ [before[0]!.ip]: 0, [busy[0]!.ip]: 10, [before[2]!.ip]: 0, [busy[1]!.ip]: 20 });
      const r = await real.jitsiK8s(['scale', 'jvb', '2', '--yes', '--drain-timeout', '2m', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('draining 2 bridge(s)');
      const after = await waitForBridges(ns, 2);
      expect(after.map((b) => b.name)).toEqual(busy.map((b) => b.name));
      // the bridges that stay keep their state: not draining, no mark of ours
      for (const b of after) {
        expect(await drainOf(ns, b.name)).toBe(false);
        expect(b.leaving).toBeUndefined();
      }
    });

    it('a SIGTERM while the bridges drain: 4 bridges stay, none in drain mode, deletion costs as they were, exit 143', { timeout: 8 * 60_000 }, async () => {
      const up = await real.jitsiK8s(['scale', 'jvb', '4', '--yes', '--config', configPath]);
      expect(up.code, up.stderr).toBe(0);
      const before = await waitForBridges(ns, 4);
      // costs as the in-cluster keeper would have written them (participants), one pod without any
      setLoad(Object.fromEntries(before.map((b, i) => [b.ip, 5 * (i + 1)])));
      for (const [i, b] of before.slice(0, 3).entries()) await kubectl(['annotate', 'pod', b.name, '--namespace', ns, `${COST}=${5 * (i + 1)}`, '--overwrite']);
      // the stand-in keeps drain mode per pod IP: a new pod on the IP of a removed one starts out of drain, as a new JVB does
      for (const b of before) await kubectl(['create', '--raw', `/api/v1/namespaces/${ns}/pods/${b.name}:8080/proxy/colibri/drain/disable`, '-f', '-'], '{}');
      const costs = (await bridges(ns)).map((b) => [b.name, b.cost]);
      const revision = await revisions(ns);
      const config = readFileSync(configPath, 'utf8');
      const run = startBin(['scale', 'jvb', '2', '--yes', '--drain-timeout', '10m', '--config', configPath]);
      // the two emptiest drain, marked as leaving
      await until(
        'two bridges in drain mode',
        async () => (await Promise.all(before.map((b) => drainOf(ns, b.name)))).filter(Boolean).length === 2,
        60_000,
        run.stderr,
      );
      const marked = (await bridges(ns)).filter((b) => b.leaving === 'true').map((b) => b.name);
      expect(marked).toEqual([before[0]!.name, before[1]!.name]);
      run.child.kill('SIGTERM');
      const { code } = await run.exit;
      expect(code, run.stderr()).toBe(143);
      const now = await bridges(ns);
      expect(now.map((b) => [b.name, b.cost])).toEqual(costs);
      expect(now.every((b) => b.leaving === undefined)).toBe(true);
      for (const b of now) expect(await drainOf(ns, b.name)).toBe(false);
      expect(await revisions(ns)).toBe(revision);
      expect(readFileSync(configPath, 'utf8')).toBe(config);
    });
  });

  describe('loadBalancer: 4 bridge Deployments behind one Service', () => {
    let ns = '';
    const configPath = join(real.dir, 'lb.yaml');
    beforeAll(() => {
      ns = real.space('jk8s-sd-lb', { loadBalancers: { '*': { ip: '203.0.113.10' } } });
    });

    it(
      'meetings on all four: the two highest-numbered drain, the command waits, the test empties them, the scale completes',
      { timeout: 10 * 60_000 },
      async () => {
        writeConfig(configPath, ns, 'loadBalancer', 4);
        const install = await real.jitsiK8s(['apply', '--yes', '--config', configPath]);
        expect(install.code, install.stderr).toBe(0);
        const before = await waitForBridges(ns, 4);
        const load = Object.fromEntries(before.map((b, i) => [b.ip, 10 + i]));
        setLoad(load);
        const revision = await revisions(ns);
        const run = startBin(['scale', 'jvb', '2', '--drain-timeout', '5m', '--config', configPath]);
        const leaving = before.filter((b) => /-jvb-[23]-/.test(b.name));
        await until(
          'jvb-2 and jvb-3 in drain mode',
          async () => (await Promise.all(leaving.map((b) => drainOf(ns, b.name)))).every(Boolean),
          60_000,
          run.stderr,
        );
        // it waits: nothing removed yet, no helm revision, the staying bridges still take meetings
        await new Promise((r) => setTimeout(r, 3_000));
        expect(run.child.exitCode).toBeNull();
        expect(await bridges(ns)).toHaveLength(4);
        expect(await revisions(ns)).toBe(revision);
        for (const b of before.filter((x) => !leaving.includes(x))) expect(await drainOf(ns, b.name)).toBe(false);
        // the meetings on the draining bridges end
        setLoad({ ...load, [leaving[0]!.ip]: 0, [leaving[1]!.ip]: 0 });
        const { code } = await run.exit;
        expect(code, run.stderr()).toBe(0);
        expect((await waitForBridges(ns, 2)).map((b) => b.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ''))).toEqual([
          'jitsi-jitsi-meet-jvb-0',
          'jitsi-jitsi-meet-jvb-1',
        ]);
        expect(await revisions(ns)).toBe(revision + 1);
        expect(run.stderr()).toMatch(/scaled jvb 4 → 2 after draining 2 bridge\(s\)/);
        writeFileSync(join(real.dir, 'scale-drain-output.txt'), run.stderr());
        if (process.env.JK8S_KEEP_OUTPUT) writeFileSync(process.env.JK8S_KEEP_OUTPUT, run.stderr());
      },
    );

    it(
      'a bench sweep stepping down (its scaler) drains the bridge that goes and says for how long; stepping back up drains nothing',
      { timeout: 5 * 60_000 },
      async () => {
        const before = await waitForBridges(ns, 2);
        const leaving = before.find((b) => /-jvb-1-/.test(b.name))!;
        setLoad({ [before[0]!.ip]: 4, [leaving.ip]: 6 });
        const saved = {
          KUBECONFIG: process.env.KUBECONFIG,
          JITSI_K8S_CHART: process.env.JITSI_K8S_CHART,
          JITSI_K8S_HELM: process.env.JITSI_K8S_HELM,
          JITSI_K8S_KUBECTL: process.env.JITSI_K8S_KUBECTL,
        };
        Object.assign(process.env, {
          KUBECONFIG: cluster!.kubeconfig,
          JITSI_K8S_CHART: testChart(),
          JITSI_K8S_HELM: helmBin(),
          JITSI_K8S_KUBECTL: kubectlBin(),
        });
        try {
          const { config, secrets } = loadConfigAndSecrets(configPath);
          const scaler = createJvbScaler({ configPath, config, secrets });
          const configText = readFileSync(configPath, 'utf8');
          const down = scaler.scaleTo(1, new AbortController().signal);
          await until('jvb-1 in drain mode', () => drainOf(ns, leaving.name));
          await new Promise((r) => setTimeout(r, 2_500));
          expect(await bridges(ns)).toHaveLength(2);
          setLoad({ [before[0]!.ip]: 4, [leaving.ip]: 0 });
          const outcome = await down;
          expect(outcome.drained).toMatchObject({ bridges: 1, left: 0 });
          expect(outcome.drained!.drainedMs).toBeGreaterThanOrEqual(2_500);
          // jvb-0 stays (going to one bridge turns octo off, so its pod is replaced: the sweep runs with --yes)
          expect((await waitForBridges(ns, 1)).map((b) => b.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ''))).toEqual(['jitsi-jitsi-meet-jvb-0']);
          // the sweep's restore goes up: nothing to drain
          expect(await scaler.scaleTo(2, new AbortController().signal)).toEqual({});
          await waitForBridges(ns, 2);
          // a sweep never writes the config
          expect(readFileSync(configPath, 'utf8')).toBe(configText);
        } finally {
          for (const [k, v] of Object.entries(saved))
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
      },
    );

    it('uninstall while meetings run: every bridge drains, the release stays until they are empty, then it goes', { timeout: 5 * 60_000 }, async () => {
      const before = await waitForBridges(ns, 2);
      setLoad(Object.fromEntries(before.map((b) => [b.ip, 7])));
      const run = startBin(['uninstall', '--yes', '--drain-timeout', '5m', '--config', configPath]);
      await until('both bridges in drain mode', async () => (await Promise.all(before.map((b) => drainOf(ns, b.name)))).every(Boolean), 60_000, run.stderr);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(run.child.exitCode).toBeNull();
      expect(await helm(['list', '--namespace', ns, '--short'])).toContain('jitsi');
      setLoad(Object.fromEntries(before.map((b) => [b.ip, 0])));
      const { code } = await run.exit;
      expect(code, run.stderr()).toBe(0);
      expect(run.stderr()).toMatch(/draining 2 bridge\(s\)[\s\S]*7 participants in 2 conferences[\s\S]*empty/);
      expect((await helm(['list', '--namespace', ns, '--short'])).trim()).toBe('');
    });
  });
});
