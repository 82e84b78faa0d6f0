/**
 * Recordings and transcripts survive `uninstall`: the built bin against the test control plane, real
 * helm and the contract chart (or the real chart with JITSI_HELM_CHART_DIR). The jibri and transcriber
 * claims are bound by PVs the test makes (cloud.ts: kwok has no provisioner); the same claim UID after
 * uninstall proves the data was never deleted. Also an install left by an older jitsi-k8s, whose
 * claims the jitsi-meet release owns: apply takes them over, uninstall first refuses to drop them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { cliAsync } from '../support/cli.js';
import { cluster, skipReason, startStandinBridge, type StandinBridge } from '../support/control-plane.js';
import { helmBin, kubectlBin, repoRoot } from '../support/tools.js';
import { playCloud, removeVolumes, type Cloud } from './cloud.js';

const chart = process.env.JITSI_HELM_CHART_DIR || join(repoRoot, 'test/fixtures/jitsi-meet-contract');
const work = mkdtempSync(join(tmpdir(), 'jk8s-keep-'));
const runId = Date.now().toString(36).slice(-5);
const clouds: Cloud[] = [];
const namespaces: string[] = [];
let bridge: StandinBridge | undefined;

const env = { KUBECONFIG: cluster?.kubeconfig, JITSI_K8S_CHART: chart, JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin() };
const jitsiK8s = (args: string[]) => cliAsync(args, { env, timeoutMs: 8 * 60_000 });
const kubectl = async (args: string[], input?: string) => (await run(kubectlBin(), ['--kubeconfig', cluster!.kubeconfig, ...args], { input, timeoutMs: 60_000 })).stdout;
const helm = async (args: string[], input?: string) => (await run(helmBin(), ['--kubeconfig', cluster!.kubeconfig, ...args], { input, timeoutMs: 5 * 60_000 })).stdout;
const releases = async (ns: string) => (JSON.parse(await helm(['list', '--namespace', ns, '--output', 'json'])) as { name: string }[]).map((r) => r.name).sort();

/** claim name → UID: a claim deleted and made again has a new UID */
async function claims(ns: string): Promise<Record<string, string>> {
  const list = JSON.parse(await kubectl(['get', 'pvc', '--namespace', ns, '-o', 'json'])) as { items: { metadata: { name: string; uid: string } }[] };
  return Object.fromEntries(list.items.map((p) => [p.metadata.name, p.metadata.uid]));
}

function space(name: string): string {
  const ns = `${name}-${runId}`;
  namespaces.push(ns);
  clouds.push(playCloud({ kubeconfig: cluster!.kubeconfig, namespace: ns, bindClaims: true }));
  return ns;
}

async function init(ns: string, configPath: string): Promise<void> {
  const r = await jitsiK8s([
    'init', '--yes', '--no-apply', '--out', configPath, '--domain', 'meet.test.invalid', '--namespace', ns, '--jvb-replicas', '1',
    '--exposure', 'loadBalancer', '--public-ip', '127.0.0.1', '--tls', 'none',
    '--jibri', '--jibri-storage', '1Gi', '--transcriber', '--transcriber-storage', '1Gi', '--storage-class', 'test-local',
  ]);
  expect(r.code, r.stderr).toBe(0);
}

const RECORDINGS = 'jitsi-jitsi-meet-jibri';
const TRANSCRIPTS = 'jitsi-jitsi-meet-transcriber';

beforeAll(async () => {
  if (!cluster) return;
  // apply waits until every bridge answers /colibri/stats through pods/proxy: the STAND-IN bridge
  // (test/support/standin-bridge.mjs; Jitsi cannot run here) answers for every pod IP in the pod netns
  bridge = await startStandinBridge();
  await kubectl(['apply', '-f', '-'], stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'test-local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' }));
});

afterAll(async () => {
  await Promise.all(clouds.map((c) => c.stop()));
  await bridge?.stop();
  if (cluster) {
    for (const ns of namespaces) {
      await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
      await removeVolumes(cluster.kubeconfig, ns);
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`recordings and transcripts survive uninstall${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('apply → uninstall keeps the jibri and transcriber claims; apply mounts them again; --delete-data deletes them', { timeout: 15 * 60_000 }, async () => {
    const ns = space('jk8s-keep');
    const configPath = join(work, 'keep.yaml');
    await init(ns, configPath);
    const applied = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(applied.code, applied.stderr).toBe(0);
    const before = await claims(ns);
    expect(Object.keys(before).sort()).toEqual([RECORDINGS, TRANSCRIPTS]);

    const removed = await jitsiK8s(['uninstall', '--yes', '--config', configPath]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await releases(ns)).toEqual([]);
    expect(await claims(ns)).toEqual(before);

    // installing again takes the kept claims back (same UIDs), no new empty volume
    const again = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(again.code, again.stderr).toBe(0);
    expect(await claims(ns)).toEqual(before);

    const purged = await jitsiK8s(['uninstall', '--yes', '--delete-data', '--config', configPath]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(await claims(ns)).toEqual({});
  });

  it('an install whose claims the jitsi-meet release owns: uninstall refuses, apply takes them over, then uninstall keeps them', { timeout: 15 * 60_000 }, async () => {
    const ns = space('jk8s-legacy');
    const configPath = join(work, 'legacy.yaml');
    await init(ns, configPath);
    // what an older jitsi-k8s left: chart 3.4.0 made the claims itself, without a keep policy
    const legacyValues = {
      publicURL: 'http://meet.test.invalid',
      jibri: { enabled: true, persistence: { enabled: true, size: '1Gi', storageClassName: 'test-local' } },
      transcriber: { enabled: true, persistence: { enabled: true, size: '1Gi', storageClassName: 'test-local' } },
    };
    await helm(['upgrade', '--install', 'jitsi', chart, '--namespace', ns, '--create-namespace', '--values', '-'], stringify(legacyValues));
    const legacy = await claims(ns);
    expect(Object.keys(legacy).sort()).toEqual([RECORDINGS, TRANSCRIPTS]);

    const refused = await jitsiK8s(['uninstall', '--yes', '--config', configPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`release jitsi still owns PersistentVolumeClaim ${RECORDINGS}, ${TRANSCRIPTS}`);
    expect(refused.stderr).toContain('run `jitsi-k8s apply` first');
    expect(await releases(ns)).toEqual(['jitsi']);

    const applied = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await claims(ns)).toEqual(legacy);
    const owner = JSON.parse(await kubectl(['get', 'pvc', RECORDINGS, '--namespace', ns, '-o', 'json'])).metadata.annotations;
    expect(owner).toMatchObject({ 'meta.helm.sh/release-name': 'jitsi-data', 'helm.sh/resource-policy': 'keep' });

    const removed = await jitsiK8s(['uninstall', '--yes', '--config', configPath]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await releases(ns)).toEqual([]);
    expect(await claims(ns)).toEqual(legacy);
  });
});
