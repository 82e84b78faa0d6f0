/**
 * A bridge's drain mode and graceful-shutdown state through the REAL API server's pods/proxy, as
 * `scale` and `status` use them: two bridge Deployments of a release of the real chart (kwok makes their pods
 * Ready); the STAND-IN bridge (test/support/standin-bridge.mjs, a look-alike of JVB's drain and
 * graceful-shutdown endpoints; Jitsi cannot run here) answers at each pod IP with the participants
 * this test writes into its load file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBridgeLoadState, setDrainMode } from '../../src/cluster/drain.js';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { readStatus } from '../../src/cluster/status.js';
import { formatStatus } from '../../src/ui/status.js';
import { cluster, kubectl, skipReason, standinRelease, type ReadyPod, type StandinBridge } from '../support/control-plane.js';

const ns = `jk8s-drain-api-${Date.now().toString(36).slice(-5)}`;
const release = 'jitsi';
const work = mkdtempSync(join(tmpdir(), 'jk8s-drain-api-'));
const loadFile = join(work, 'bridge-load.json');
let bridge: StandinBridge | undefined;
let kube: Kube;
let at: (i: number) => ReadyPod;
const setLoad = (load: Record<number, { participants: number; octo_endpoints?: number; conferences: number }>) =>
  writeFileSync(loadFile, JSON.stringify(Object.fromEntries(Object.entries(load).map(([i, stats]) => [at(Number(i)).podIP, { stats }]))));

beforeAll(async () => {
  if (!cluster) return;
  kube = openKube({ kubeconfig: cluster.kubeconfig, timeoutMs: 10_000 });
  ({ bridge, at } = await standinRelease(ns, release, 2, loadFile));
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`drain and graceful shutdown through a real API server's pods/proxy${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('drain mode on and off: the bridge says so in /colibri/stats and /colibri/drain; its own participants exclude the relayed ones', async () => {
    setLoad({ 0: { participants: 12, octo_endpoints: 4, conferences: 2 }, 1: { participants: 5, conferences: 1 } });
    expect(await readBridgeLoadState(kube, ns, at(0).name)).toEqual({
      participants: 8,
      conferences: 2,
      state: 'running',
      drain: false,
      gracefulShutdown: false,
      shuttingDown: false,
    });
    await setDrainMode(kube, ns, at(0).name, true);
    expect(await readBridgeLoadState(kube, ns, at(0).name)).toMatchObject({ state: 'draining', drain: true });
    expect(JSON.parse((await kube.request('GET', `/api/v1/namespaces/${ns}/pods/${at(0).name}:8080/proxy/colibri/drain`)).body)).toEqual({ drain: true });
    // only the bridge asked
    expect(await readBridgeLoadState(kube, ns, at(1).name)).toMatchObject({ state: 'running', drain: false, participants: 5 });
    await setDrainMode(kube, ns, at(0).name, false);
    expect(await readBridgeLoadState(kube, ns, at(0).name)).toMatchObject({ state: 'running', drain: false });
  });

  it("status shows each bridge's state (human and data): draining, graceful shutdown until its participants left, then shutting down", async () => {
    setLoad({ 0: { participants: 6, conferences: 1 }, 1: { participants: 0, conferences: 0 } });
    await setDrainMode(kube, ns, at(0).name, true);
    // what the preStop hook's graceful_shutdown.sh posts
    const r = await kube.request('POST', `/api/v1/namespaces/${ns}/pods/${at(1).name}:8080/proxy/colibri/shutdown`, { body: { 'graceful-shutdown': true } });
    expect(r.status).toBe(200);
    let s = await readStatus(kube, { namespace: ns, release });
    expect(s.bridges.map((b) => [b.pod, b.state, b.localParticipants])).toEqual([
      [at(0).name, 'draining', 6],
      [at(1).name, 'shutting-down', 0],
    ]);
    const text = formatStatus(s);
    expect(text).toMatch(new RegExp(`${at(0).name}\\s+draining\\s`));
    expect(text).toMatch(new RegExp(`${at(1).name}\\s+shutting down\\s`));
    expect(JSON.parse(JSON.stringify(s)).bridges[0].state).toBe('draining');
    // a bridge asked for a graceful shutdown with participants on it stays in graceful shutdown until they left
    await kube.request('POST', `/api/v1/namespaces/${ns}/pods/${at(0).name}:8080/proxy/colibri/shutdown`, { body: { 'graceful-shutdown': true } });
    s = await readStatus(kube, { namespace: ns, release });
    expect(s.bridges[0]!.state).toBe('graceful-shutdown');
    setLoad({ 0: { participants: 0, conferences: 0 }, 1: { participants: 0, conferences: 0 } });
    s = await readStatus(kube, { namespace: ns, release });
    expect(s.bridges[0]!.state).toBe('shutting-down');
  });

  it('a bridge that is gone: setting drain mode fails naming the pod', async () => {
    await expect(setDrainMode(kube, ns, 'no-such-bridge-pod', true)).rejects.toThrow(/no-such-bridge-pod/);
  });
});
