/**
 * verify's colibri2 probe (allocate → expire) through the REAL API server's pods/proxy: the two bridge
 * Deployments of a release of the real chart (kwok makes their pods Ready); the STAND-IN bridge
 * (test/support/standin-bridge.mjs; Jitsi cannot run here) answers colibri2 at each pod IP inside
 * the test's pod network namespace, with its REST API switched off for bridge 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateProbeEndpoint, withProbeEndpoint } from '../../src/cluster/colibri.js';
import { openKube, type Kube } from '../../src/cluster/kube.js';
import { jvbHttpViaKube } from '../../src/cluster/verify.js';
import { cluster, kubectl, skipReason, standinRelease, type ReadyPod, type StandinBridge } from '../support/control-plane.js';

const ns = `jk8s-colibri-${Date.now().toString(36).slice(-5)}`;
const release = 'jitsi';
const work = mkdtempSync(join(tmpdir(), 'jk8s-colibri-'));
const loadFile = join(work, 'bridge-load.json');
let bridge: StandinBridge | undefined;
let kube: Kube;
let bridgeAt: (i: number) => ReadyPod;

/** What the stand-in saw at a pod IP, read back through the same pods/proxy. */
async function standinSaw(pod: ReadyPod): Promise<{ calls: { method: string; url: string; body: unknown }[]; live: string[] }> {
  const r = await kube.request('GET', `/api/v1/namespaces/${ns}/pods/${pod.name}:8080/proxy/standin/calls`);
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as { calls: { method: string; url: string; body: unknown }[]; live: string[] };
}

beforeAll(async () => {
  if (!cluster) return;
  kube = openKube({ kubeconfig: cluster.kubeconfig, timeoutMs: 10_000 });
  ({ bridge, at: bridgeAt } = await standinRelease(ns, release, 2, loadFile));
  writeFileSync(loadFile, JSON.stringify({ [bridgeAt(1).podIP]: { colibri2: false } }));
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`colibri2 through a real API server's pods/proxy${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('POSTs and PATCHes <pod>:8080/proxy/colibri/v2/conferences: the conference is live during use and expired after', { timeout: 60_000 }, async () => {
    const pod = bridgeAt(0);
    const http = jvbHttpViaKube(kube, ns, pod.name);
    const seen = await withProbeEndpoint(http, async (ep) => ({ ...ep, liveDuringUse: (await standinSaw(pod)).live }));
    expect(seen.liveDuringUse).toEqual([seen.meetingId]);
    expect(seen.ufrag).toBe('standinufrag');
    // the host candidate is the pod IP the API server dialled
    expect(seen.candidates.map((c) => `${c.type} ${c.ip}:${c.port}/${c.protocol}`)).toEqual([`host ${pod.podIP}:10000/udp`]);
    const after = await standinSaw(pod);
    expect(after.live).toEqual([]);
    expect(after.calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /colibri/v2/conferences', `PATCH /colibri/v2/conferences/${seen.meetingId}`]);
    expect(after.calls[0]!.body).toMatchObject({ 'meeting-id': seen.meetingId, create: true, endpoints: [{ transport: { 'ice-controlling': false } }] });
    expect(after.calls[1]!.body).toEqual({ expire: true });
    // the other bridge was never asked
    expect((await standinSaw(bridgeAt(1))).calls).toEqual([]);
  });

  it('a JVB with no colibri2 (404 through the proxy) is reported, not crashed on', { timeout: 30_000 }, async () => {
    await expect(allocateProbeEndpoint(jvbHttpViaKube(kube, ns, bridgeAt(1).name))).rejects.toThrow(/not enabled/);
  });
});
