/**
 * Sizing from a stored capacity profile against the REAL API server: `bench capacity save` keeps a
 * run's capacity.json as the ConfigMap next to the release; `scale jvb --for 900 --dry-run` (the built
 * bin) reads it and plans the bridges the arithmetic gives, and without it names the published
 * estimate and the command that measures instead; `status` shows the share of the measured capacity
 * in use, the bridges' participants coming from the STAND-IN bridge (Jitsi cannot run here); `apply`
 * of another release with the real chart and real helm names the measured capacity in its notes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sizeRelease } from '../../src/config/sizing.js';
import type { CapacityProfile } from '../../src/config/capacity-profile.js';
import { cliAsync } from '../support/cli.js';
import { config } from '../support/config.js';
import { bridgeSelector, cluster, kubectl, kubectlJson, skipReason, standinRelease, type StandinBridge } from '../support/control-plane.js';
import { playCloud } from '../support/cloud.js';
import { testChart } from '../support/chart.js';
import { helmBin, kubectlBin } from '../support/tools.js';

const ns = `jk8s-cap-${Date.now().toString(36).slice(-5)}`;
const release = 'jitsi';
/** where the apply case installs its own release */
const applied = `${ns}-apply`;
const work = mkdtempSync(join(tmpdir(), 'jk8s-cap-'));
const loadFile = join(work, 'bridge-load.json');
let bridge: StandinBridge | undefined;

const CONFIG = `domain: meet.example.com
components: { jvb: { replicas: 2 } }
exposure: { mode: loadBalancer, publicIP: 203.0.113.10 }
tls: { mode: none }
cluster: { namespace: ${ns}, release: ${release} }
`;

// a profile as `bench --find-capacity` writes it for a site: 150 participants per bridge in rooms of 10
const PROFILE: CapacityProfile = {
  schema: 'jitsi-k8s/capacity@1',
  measuredAt: '2026-12-07T10:00:00.000Z',
  run: 'bench-results/capacity',
  target: 'jitsi',
  site: 'https://meet.example.com',
  jvbImage: 'ghcr.io/jitsi/jvb:stable-11146-2',
  nodes: { cpu: 4, memoryGiB: 16 },
  bridgeCores: 1.8,
  shape: { roomSize: 10, senders: 2, audioSenders: 2, liteReceivers: null, video: '640x360@15' },
  thresholds: ['bridge.stress.max<=0.8', 'audio.loss.pooled<=1%', 'video.loss.pooled<=1%', 'join.failed<=0'],
  knees: [{ bridges: 1, participants: 150, conferences: 15, perBridge: 150, perBridgeCore: 83.3 }],
  participantsPerBridge: 150,
  participantsPerBridgeCore: 83.3,
  command: 'jitsi-k8s bench --find-capacity --url https://meet.example.com --room-size 10 --senders 2 --video 640x360@15',
};

const env = () => ({ KUBECONFIG: cluster!.kubeconfig, JITSI_K8S_HELM: helmBin(), HOME: work });
const configFile = () => {
  const p = join(work, 'jitsi-k8s.yaml');
  writeFileSync(p, CONFIG);
  return p;
};
const portRange = () => kubectlJson<{ items: unknown[] }>(['get', 'deployments', '-n', ns, '-l', bridgeSelector(release)]).items.length;

beforeAll(async () => {
  if (!cluster) return;
  const r = await standinRelease(ns, release, 2, loadFile);
  bridge = r.bridge;
  // 60 and 90 participants on the two bridges
  writeFileSync(
    loadFile,
    JSON.stringify({ [r.at(0).podIP]: { stats: { participants: 60, conferences: 6 } }, [r.at(1).podIP]: { stats: { participants: 90, conferences: 9 } } }),
  );
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  if (cluster) for (const n of [ns, applied]) kubectl(['delete', 'namespace', n, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`sizing from the stored capacity profile${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('without a profile, scale jvb --for 900 --dry-run plans from the published estimate and says so', async () => {
    const p = configFile();
    const r = await cliAsync(['scale', 'jvb', '--for', '900', '--config', p, '--dry-run'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    // the deployment's bridges: 4-CPU nodes → 1.8 cores each; rooms of 10 → the community figure of 11 per core
    const expected = sizeRelease(config({ components: { jvb: { replicas: 2 } }, expect: { peakParticipants: 900, roomSize: 10 } })).plan!;
    expect(r.stderr).toContain('an estimate, not measured: an estimate for rooms of 10: 11 per core × 1.8 cores per bridge');
    expect(r.stderr).toContain('measure it on your deployment: jitsi-k8s bench --find-capacity --url https://<your Jitsi site> --room-size 10 --replicas 1,2');
    expect(r.stderr).toContain(`→ ${expected.bridges} bridges (HPA max)`);
    expect(r.stderr).toContain(`chose ${expected.bridges} bridges`);
    expect(r.stderr).toContain(`jvb.portRangeSize 2 → ${expected.bridges}`);
    expect(readFileSync(p, 'utf8')).toBe(CONFIG);
    expect(portRange()).toBe(2);
  });

  it('bench capacity save stores capacity.json as the ConfigMap next to the release', async () => {
    const p = configFile();
    const run = join(work, 'run');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'capacity.json'), JSON.stringify(PROFILE));
    const r = await cliAsync(['bench', 'capacity', 'save', run, '--config', p], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`saved 150 participants per bridge (10-person rooms, measured 2026-12-07) as ConfigMap ${ns}/${release}-capacity`);
    const cm = kubectlJson<{ metadata: { labels: Record<string, string> }; data: Record<string, string> }>([
      'get',
      'configmap',
      `${release}-capacity`,
      '-n',
      ns,
    ]);
    expect(JSON.parse(cm.data['capacity.json']!)).toEqual(PROFILE);
    expect(cm.metadata.labels['app.kubernetes.io/instance']).toBe(release);
    // saving again replaces it
    writeFileSync(join(run, 'capacity.json'), JSON.stringify({ ...PROFILE, participantsPerBridge: 140 }));
    expect((await cliAsync(['bench', 'capacity', 'save', run, '--config', p], { env: env() })).code).toBe(0);
    expect(
      JSON.parse(kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', `${release}-capacity`, '-n', ns]).data['capacity.json']!)
        .participantsPerBridge,
    ).toBe(140);
    writeFileSync(join(run, 'capacity.json'), JSON.stringify(PROFILE));
    expect((await cliAsync(['bench', 'capacity', 'save', run, '--config', p], { env: env() })).code).toBe(0);
  });

  it('with the ConfigMap, scale jvb --for 900 --dry-run plans 150 per bridge at 80 %: 8 bridges, and changes nothing', async () => {
    const p = configFile();
    const r = await cliAsync(['scale', 'jvb', '--for', '900', '--config', p, '--dry-run'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `measured: measured 2026-12-07 by bench --find-capacity (bench-results/capacity) from ConfigMap ${ns}/${release}-capacity: 150 participants per bridge`,
    );
    expect(r.stderr).toContain('150 participants per bridge (measured) × 80 % (headroom: bridges planned at 80 % of capacity) = 120 per bridge');
    expect(r.stderr).toContain('900 participants ÷ 120 = 7.5 → 8 bridges (HPA max)');
    expect(r.stderr).toContain('chose 8 bridges: enough for 900 participants with the bridges at 80 % of their measured capacity (20 % headroom)');
    expect(r.stderr).toContain('jvb.portRangeSize 2 → 8');
    expect(r.stderr).not.toContain('profile from another setup');
    expect(readFileSync(p, 'utf8')).toBe(CONFIG);
    expect(portRange()).toBe(2);
    // rooms of another size: the same profile, flagged
    const other = await cliAsync(['scale', 'jvb', '--for', '900', '--room-size', '30', '--config', p, '--dry-run'], { env: env() });
    expect(other.stderr).toContain('profile from another setup: measured with rooms of 10, planned for rooms of 30');
  });

  it('status shows the participants now as a share of the measured capacity', async () => {
    const p = configFile();
    const r = await cliAsync(['status', '--config', p], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    // 60 + 90 on 2 bridges of 150
    expect(r.stdout).toContain('load: 50 % of measured capacity (150 of 300: 2 bridges × 150)');
  });
  it('apply reads the ConfigMap too: its notes give the measured capacity, not the estimate', { timeout: 5 * 60_000 }, async () => {
    kubectl(['create', 'namespace', applied]);
    const p = join(work, 'applied.yaml');
    writeFileSync(p, CONFIG.replace(`namespace: ${ns}`, `namespace: ${applied}`));
    const run = join(work, 'run');
    writeFileSync(join(run, 'capacity.json'), JSON.stringify(PROFILE));
    const saved = await cliAsync(['bench', 'capacity', 'save', run, '--config', p], { env: env() });
    expect(saved.code, saved.stderr).toBe(0);
    // the cloud's part: an address for the LoadBalancer Services (never contacted)
    const cloud = playCloud({ kubeconfig: cluster!.kubeconfig, namespace: applied, loadBalancers: { '*': { ip: '203.0.113.10' } } });
    try {
      const r = await cliAsync(['apply', '--yes', '--config', p], {
        env: { ...env(), JITSI_K8S_CHART: testChart(), JITSI_K8S_KUBECTL: kubectlBin() },
        timeoutMs: 4 * 60_000,
      });
      expect(r.code, r.stderr).toBe(0);
      // 2 bridges × 150 = 300, from the ConfigMap of this release
      expect(r.stderr).toContain(
        `capacity: 300 participants on 2 bridges (150 each, rooms of 10) — measured: measured 2026-12-07 by bench --find-capacity (bench-results/capacity) from ConfigMap ${applied}/${release}-capacity`,
      );
      expect(r.stderr).not.toContain('an estimate, not measured');
    } finally {
      await cloud.stop();
    }
  });
});
