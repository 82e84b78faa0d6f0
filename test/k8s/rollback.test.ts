/**
 * Rollback on the real API server, with the built bin, real helm and the contract chart (or the real
 * one with JITSI_HELM_CHART_DIR): the jitsi-meet release step succeeds, then the API server refuses
 * the extras chart (a ValidatingAdmissionPolicy denies the Newt Deployment for one Pangolin endpoint).
 * Releases this apply changed go back to their previous revision, a fresh install is removed, and a
 * release left `failed` by a real failed upgrade is rolled back, never uninstalled, its PVCs kept.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { cliAsync } from '../support/cli.js';
import { cluster, skipReason, startStandinBridge, type StandinBridge } from '../support/control-plane.js';
import { helmBin, kubectlBin, repoRoot } from '../support/tools.js';
import { playCloud, removeVolumes, type Cloud } from './cloud.js';

const chart = process.env.JITSI_HELM_CHART_DIR || join(repoRoot, 'test/fixtures/jitsi-meet-contract');
const work = mkdtempSync(join(tmpdir(), 'jk8s-rollback-'));
const runId = Date.now().toString(36).slice(-5);
const ns = { upgrade: `jk8s-rb-up-${runId}`, fresh: `jk8s-rb-new-${runId}`, failed: `jk8s-rb-failed-${runId}` };
const policy = `jk8s-refuse-endpoint-${runId}`;
/** the Pangolin endpoint whose Newt Deployment the API server refuses */
const REFUSED = 'https://refused.test.invalid';
const clouds: Cloud[] = [];
let bridge: StandinBridge | undefined;

const jitsiK8s = (args: string[]) =>
  cliAsync(args, {
    env: {
      KUBECONFIG: cluster?.kubeconfig,
      JITSI_K8S_CHART: chart,
      JITSI_K8S_HELM: helmBin(),
      JITSI_K8S_KUBECTL: kubectlBin(),
      NEWT_ID: 'newt-id-test',
      NEWT_SECRET: 'newt-secret-test',
    },
    timeoutMs: 6 * 60_000,
  });
async function kubectl(args: string[], input?: string): Promise<string> {
  return (await run(kubectlBin(), ['--kubeconfig', cluster!.kubeconfig, ...args], { input, timeoutMs: 60_000 })).stdout;
}
async function helm(args: string[]): Promise<string> {
  return (await run(helmBin(), ['--kubeconfig', cluster!.kubeconfig, ...args], { timeoutMs: 2 * 60_000 })).stdout;
}
const history = async (release: string, namespace: string) =>
  JSON.parse(await helm(['history', release, '--namespace', namespace, '--output', 'json'])) as {
    revision: number;
    status: string;
    chart: string;
    description: string;
  }[];
const values = async (namespace: string) => JSON.parse(await helm(['get', 'values', 'jitsi', '--namespace', namespace, '--output', 'json'])) as unknown;
const releases = async (namespace: string) =>
  (JSON.parse(await helm(['list', '--namespace', namespace, '--output', 'json'])) as { name: string; status: string }[]).map((r) => `${r.name} ${r.status}`);

/** A Pangolin config for a namespace (the Newt Deployment is the extras chart's object the policy judges). */
async function init(namespace: string, endpoint: string, persistence = false): Promise<string> {
  const configPath = join(work, `${namespace}.yaml`);
  const r = await jitsiK8s([
    'init',
    '--yes',
    '--no-apply',
    '--out',
    configPath,
    '--domain',
    'meet.test.invalid',
    '--namespace',
    namespace,
    '--jvb-replicas',
    '1',
    '--exposure',
    'pangolin',
    '--pangolin-endpoint',
    endpoint,
    '--public-ip',
    '127.0.0.1',
    '--tls',
    'none',
  ]);
  expect(r.code, r.stderr).toBe(0);
  if (persistence) editConfig(configPath, (c) => (c.components.prosody.persistence = { enabled: true, size: '1Gi', storageClass: 'test-local' }));
  return configPath;
}
/** the parts of jitsi-k8s.yaml these tests change */
interface ConfigEdits {
  components: { web: { replicas: number }; prosody: { persistence: { enabled: boolean; size: string; storageClass: string } } };
  exposure: { pangolin: { endpoint: string } };
}
function editConfig(configPath: string, edit: (c: ConfigEdits) => void): void {
  const c = parse(readFileSync(configPath, 'utf8')) as ConfigEdits;
  edit(c);
  writeFileSync(configPath, stringify(c));
}

beforeAll(async () => {
  if (!cluster) return;
  // the bridges of a successful apply must answer /colibri/stats: the STAND-IN bridge (Jitsi cannot run here)
  bridge = await startStandinBridge();
  await kubectl(
    ['apply', '-f', '-'],
    stringify({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'test-local' },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'Immediate',
    }),
  );
  clouds.push(playCloud({ kubeconfig: cluster.kubeconfig, namespace: ns.failed, bindClaims: true }));
  // the API server refuses a Newt Deployment for the REFUSED endpoint, in this file's namespaces only
  const refused = `object.spec.template.spec.containers.exists(c, has(c.env) && c.env.exists(e, e.name == 'PANGOLIN_ENDPOINT' && has(e.value) && e.value == '${REFUSED}'))`;
  await kubectl(
    ['apply', '-f', '-'],
    [
      stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: policy },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
          validations: [{ expression: `!(${refused})`, message: 'this cluster refuses that Pangolin endpoint (test policy)' }],
        },
      }),
      stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: policy },
        spec: {
          policyName: policy,
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: Object.values(ns) }] } },
        },
      }),
    ].join('---\n'),
  );
  // a policy takes effect a moment after it is created: wait until the server refuses a probe
  await kubectl(['create', 'namespace', ns.fresh]);
  const probe = stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'probe', namespace: ns.fresh },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'probe', env: [{ name: 'PANGOLIN_ENDPOINT', value: REFUSED }] }] },
      },
    },
  });
  for (let i = 0; ; i++) {
    const refusedNow = await kubectl(['create', '--dry-run=server', '-f', '-'], probe).then(
      () => false,
      (e: Error) => /refuses that Pangolin endpoint/.test(e.message),
    );
    if (refusedNow) break;
    if (i >= 60) throw new Error(`ValidatingAdmissionPolicy ${policy} did not take effect within 30 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
});

afterAll(async () => {
  await Promise.all(clouds.map((c) => c.stop()));
  await bridge?.stop();
  if (cluster) {
    await kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', policy, '--ignore-not-found']).catch(() => undefined);
    for (const namespace of Object.values(ns)) {
      await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']).catch(() => undefined);
      await removeVolumes(cluster.kubeconfig, namespace);
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`rollback when the real API server refuses a later step${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it(
    'an upgrade: jitsi goes back to its previous revision and values, helm keeps the extras on theirs, exit 1 with the refusal',
    { timeout: 8 * 60_000 },
    async () => {
      const configPath = await init(ns.upgrade, 'https://pangolin.test.invalid');
      const first = await jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(first.code, first.stderr).toBe(0);
      const before = await values(ns.upgrade);
      const extrasBefore = await history('jitsi-extras', ns.upgrade);
      // a change to the main release and to the extras (only the Newt endpoint: same values, other manifests)
      editConfig(configPath, (c) => {
        c.components.web.replicas = 2;
        c.exposure.pangolin.endpoint = REFUSED;
      });
      const r = await jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('this cluster refuses that Pangolin endpoint (test policy)');
      expect(r.stderr).toContain('rolled back: jitsi to revision 1');
      expect(r.stderr).toMatch(/hint: an admission policy/);
      const h = await history('jitsi', ns.upgrade);
      expect(h.map((x) => x.status)).toEqual(['superseded', 'superseded', 'deployed']);
      expect(h.at(-1)!.description).toBe('Rollback to 1');
      expect(await values(ns.upgrade)).toEqual(before);
      expect(JSON.parse(await kubectl(['get', 'deployment', 'jitsi-jitsi-meet-web', '--namespace', ns.upgrade, '-o', 'json'])).spec.replicas).toBe(1);
      // helm's own --rollback-on-failure returned the extras to the revision that was deployed
      const extras = await history('jitsi-extras', ns.upgrade);
      expect(extras.length).toBeGreaterThan(extrasBefore.length);
      expect(extras.at(-1)).toMatchObject({ status: 'deployed', chart: extrasBefore.at(-1)!.chart });
      const newt = JSON.parse(await kubectl(['get', 'deployment', 'jitsi-newt', '--namespace', ns.upgrade, '-o', 'json']));
      expect(newt.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'PANGOLIN_ENDPOINT').value).toBe(
        'https://pangolin.test.invalid',
      );
    },
  );

  it('a fresh install: the jitsi release this apply installed is removed, exit 1', { timeout: 8 * 60_000 }, async () => {
    const configPath = await init(ns.fresh, REFUSED);
    const r = await jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('this cluster refuses that Pangolin endpoint (test policy)');
    expect(r.stderr).toContain('rolled back: jitsi (new install removed)');
    expect(await releases(ns.fresh)).toEqual([]);
    expect(await kubectl(['get', 'deployments', '--namespace', ns.fresh, '-o', 'name'])).toBe('');
  });

  it(
    'a release left failed by a real failed upgrade is rolled back to its last deployed revision, never uninstalled; its PVC stays',
    { timeout: 8 * 60_000 },
    async () => {
      const configPath = await init(ns.failed, 'https://pangolin.test.invalid', true);
      const first = await jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(first.code, first.stderr).toBe(0);
      const before = await values(ns.failed);
      const claim = 'persistentvolumeclaim/prosody-data-jitsi-jitsi-meet-prosody-0';
      expect(await kubectl(['get', 'pvc', '--namespace', ns.failed, '-o', 'name'])).toContain(claim);
      // a real failed upgrade: the new web pod can never be scheduled, helm gives up after 20 s
      const failing = await run(
        helmBin(),
        [
          '--kubeconfig',
          cluster!.kubeconfig,
          'upgrade',
          'jitsi',
          chart,
          '--namespace',
          ns.failed,
          '--reuse-values',
          '--set-string',
          'web.nodeSelector.jitsi-k8s-test/nowhere=true',
          '--wait',
          '--timeout',
          '20s',
        ],
        { timeoutMs: 2 * 60_000 },
      ).then(
        () => 'succeeded',
        (e: Error) => e.message,
      );
      expect(failing).toMatch(/UPGRADE FAILED/);
      expect((await history('jitsi', ns.failed)).at(-1)!.status).toBe('failed');
      editConfig(configPath, (c) => {
        c.components.web.replicas = 2;
        c.exposure.pangolin.endpoint = REFUSED;
      });
      const r = await jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('this cluster refuses that Pangolin endpoint (test policy)');
      expect(r.stderr).toContain('rolled back: jitsi to revision 1');
      const h = await history('jitsi', ns.failed);
      expect(h.map((x) => x.revision)).toEqual([1, 2, 3, 4]);
      expect(h.at(-1)).toMatchObject({ status: 'deployed', description: 'Rollback to 1' });
      expect(await releases(ns.failed)).toEqual(expect.arrayContaining(['jitsi deployed']));
      expect(await values(ns.failed)).toEqual(before);
      const web = JSON.parse(await kubectl(['get', 'deployment', 'jitsi-jitsi-meet-web', '--namespace', ns.failed, '-o', 'json']));
      expect(web.spec.template.spec.nodeSelector ?? {}).toEqual({});
      const pvc = JSON.parse(await kubectl(['get', claim, '--namespace', ns.failed, '-o', 'json']));
      expect(pvc.status.phase).toBe('Bound');
    },
  );
});
