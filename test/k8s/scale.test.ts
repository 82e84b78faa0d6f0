/**
 * `scale` against the REAL API server: the four bridge Deployments of a release of the real chart,
 * installed with the values apply renders for this config (kwok moves the pods to Running/Ready),
 * their load read through the real pods/proxy from the STAND-IN bridge (test/support/standin-bridge.mjs;
 * Jitsi cannot run here), which gives each pod IP the participants this test chose. runScale and the
 * built bin; nothing may change on a "no" or a refusal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runScale } from '../../src/pipeline/scale.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { cliAsync } from '../support/cli.js';
import {
  cluster,
  kubectl,
  kubectlJson,
  skipReason,
  waitForReadyPods,
  startStandinBridge,
  type StandinBridge,
  bridgeSelector,
  installRelease,
} from '../support/control-plane.js';
import { helmBin } from '../support/tools.js';

const ns = `jk8s-scale-${Date.now().toString(36).slice(-5)}`;
const release = 'jitsi';
const JVB = (i: number) => `${release}-jitsi-meet-jvb-${i}`;
const work = mkdtempSync(join(tmpdir(), 'jk8s-scale-'));
const loadFile = join(work, 'bridge-load.json');
let bridge: StandinBridge | undefined;

const CONFIG = `domain: meet.example.com
components: { jvb: { replicas: 4 } }
exposure: { mode: loadBalancer, publicIP: 203.0.113.10 }
tls: { mode: none }
cluster: { namespace: ${ns}, release: ${release} }
`;

/** The cluster's bridge Deployments and their replicas: what a "no" must leave as it was. */
const deployments = () =>
  kubectlJson<{ items: { metadata: { name: string }; spec: { replicas: number } }[] }>([
    'get',
    'deployments',
    '-n',
    ns,
    '-l',
    bridgeSelector(release),
  ]).items.map((d) => [d.metadata.name, d.spec.replicas]);
const helmReleases = () => kubectl(['get', 'secrets', '-n', ns, '-l', 'owner=helm', '-o', 'name']).trim();
/** the release as installed: one revision; a change would add one */
const INSTALLED = `secret/sh.helm.release.v1.${release}.v1`;

beforeAll(async () => {
  if (!cluster) return;
  writeFileSync(loadFile, '{}');
  bridge = await startStandinBridge(loadFile);
  kubectl(['create', 'namespace', ns]);
  const installed = config({ components: { jvb: { replicas: 4 } }, tls: { mode: 'none' }, cluster: { namespace: ns, release } });
  await installRelease(ns, release, 4, fullValues(renderRelease(installed, FIXED_SECRETS)));
  const pods = await waitForReadyPods(ns, bridgeSelector(release), 4);
  // bridge i carries 10·(i+1) participants in i+1 conferences
  const load: Record<string, { stats: { participants: number; conferences: number } }> = {};
  for (const p of pods) {
    const i = Number(p.labels.instance);
    load[p.podIP] = { stats: { participants: 10 * (i + 1), conferences: i + 1 } };
  }
  writeFileSync(loadFile, JSON.stringify(load));
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

const FOUR = [0, 1, 2, 3].map((i) => [JVB(i), 1]);

describe.skipIf(!cluster)(`runScale against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('scaling in with --no-drain shows who is on the bridges that go, read through pods/proxy, and a "no" changes nothing', { timeout: 60_000 }, async () => {
    const path = join(work, 'in.yaml');
    writeFileSync(path, CONFIG);
    let asked = '';
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = cluster!.kubeconfig;
    try {
      const r = await runScale({
        configPath: path,
        config: config({ components: { jvb: { replicas: 4 } }, cluster: { namespace: ns, release } }),
        secrets: FIXED_SECRETS,
        request: { component: 'jvb', count: 2 },
        dryRun: false,
        yes: false,
        noDrain: true,
        confirm: async (m) => {
          asked = m;
          return false;
        },
      });
      expect(r.status).toBe('cancelled');
      expect(r.bridges!.map((b) => [b.deployment, b.participants, b.conferences, b.removed]).sort()).toEqual([
        [JVB(0), 10, 1, false],
        [JVB(1), 20, 2, false],
        [JVB(2), 30, 3, true],
        [JVB(3), 40, 4, true],
      ]);
      expect(r.bridges!.filter((b) => b.removed).map((b) => b.pod.startsWith(`${b.deployment}-`))).toEqual([true, true]);
      expect(asked).toMatch(new RegExp(`${JVB(2)}-\\S+ carries 30 participants in 3 conferences`));
      expect(asked).toContain('70 people lose their meeting');
      expect(readFileSync(path, 'utf8')).toBe(CONFIG);
      expect(deployments()).toEqual(FOUR);
      expect(helmReleases()).toBe(INSTALLED);
    } finally {
      process.env.KUBECONFIG = saved;
    }
  });

  it('the same count is a no-op', async () => {
    const r = await runScale({
      configPath: join(work, 'x.yaml'),
      config: config({ components: { jvb: { replicas: 4 } }, cluster: { namespace: ns, release } }),
      secrets: FIXED_SECRETS,
      request: { component: 'jvb', count: 4 },
      dryRun: false,
      yes: true,
      confirm: async () => true,
    });
    expect(r.status).toBe('unchanged');
  });
});

describe.skipIf(!cluster)(`jitsi-k8s scale, the built bin against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  const env = () => ({ KUBECONFIG: cluster!.kubeconfig, JITSI_K8S_HELM: helmBin(), HOME: work });
  const file = () => {
    const p = join(work, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(p, CONFIG);
    return p;
  };

  it('--dry-run prints the helm plan with the new port range and changes neither the file nor the cluster', async () => {
    const p = file();
    const r = await cliAsync(['scale', 'jvb', '6', '--config', p, '--dry-run'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('jvb.portRangeSize 4 → 6');
    expect(r.stderr).toContain('UDP 10000-10005');
    expect(r.stdout).toContain('helm upgrade --install jitsi jitsi-meet');
    const stdin = r.stdout.slice(r.stdout.indexOf('<<EOF') + 5, r.stdout.indexOf('\nEOF'));
    expect(parse(stdin).jvb.portRangeSize).toBe(6);
    expect(r.stdout).not.toMatch(/password: (?!<redacted>)/);
    expect(readFileSync(p, 'utf8')).toBe(CONFIG);
    expect(deployments()).toEqual(FOUR);
    expect(helmReleases()).toBe(INSTALLED);
  });

  it.each([
    [['prosody', '2'], 1, 'prosody cannot be scaled: the jitsi-meet chart runs exactly one prosody'],
    [['jicofo', '2'], 1, 'jicofo cannot be scaled'],
    [['turn', '2'], 2, 'unknown component "turn"'],
    [['jvb', '1.5'], 2, 'count must be a whole number ≥ 0 (got "1.5")'],
    [['jvb', '-1'], 2, 'count must be a whole number ≥ 0 (got "-1")'],
    [['jvb', '0'], 2, 'count must be a whole number ≥ 1 (got 0)'],
    [['jvb', '--auto', '--min', '2'], 1, 'JVB autoscaling cannot work in loadBalancer mode'],
  ])('scale %j → exit %i, nothing changed', async (args, code, message) => {
    const p = file();
    const r = await cliAsync(['scale', ...args, '--config', p], { env: env() });
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(readFileSync(p, 'utf8')).toBe(CONFIG);
    expect(deployments()).toEqual(FOUR);
  });

  it('scaling in with --no-drain, without a terminal and without --yes is refused after showing the load of each bridge that goes', async () => {
    const p = file();
    const r = await cliAsync(['scale', 'jvb', '1', '--no-drain', '--config', p], { env: env() });
    expect(r.code).toBe(2);
    for (const i of [1, 2, 3]) expect(r.stderr).toMatch(new RegExp(`${JVB(i)}-\\S+ carries ${10 * (i + 1)} participants`));
    expect(r.stderr).not.toMatch(new RegExp(`${JVB(0)}-\\S+ carries`));
    expect(r.stderr).toContain('pass --yes');
    expect(readFileSync(p, 'utf8')).toBe(CONFIG);
    expect(deployments()).toEqual(FOUR);
    expect(helmReleases()).toBe(INSTALLED);
  });

  it(
    'at the drain deadline without --yes and without a terminal: says how many would be dropped, exit 2, the bridges out of drain, nothing changed',
    { timeout: 60_000 },
    async () => {
      const p = file();
      const r = await cliAsync(['scale', 'jvb', '2', '--drain-timeout', '2s', '--config', p], { env: env() });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('draining 2 bridge(s)');
      expect(r.stderr).toMatch(
        new RegExp(`the drain time \\(2s\\) is over: 70 participant\\(s\\) still on ${JVB(2)}-\\S+, ${JVB(3)}-\\S+ will be disconnected`),
      );
      expect(r.stderr).toContain('pass --yes');
      const drains = kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'pods', '-n', ns, '-l', bridgeSelector(release)]).items.map(
        (pod) => JSON.parse(kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}:8080/proxy/colibri/drain`])).drain as boolean,
      );
      expect(drains).toEqual([false, false, false, false]);
      expect(readFileSync(p, 'utf8')).toBe(CONFIG);
      expect(deployments()).toEqual(FOUR);
      expect(helmReleases()).toBe(INSTALLED);
    },
  );
});
