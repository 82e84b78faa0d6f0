/**
 * Rollback on the real API server, with the built bin, real helm and the real jitsi-meet chart: the jitsi-meet release step succeeds, then the API server refuses
 * the extras chart (a ValidatingAdmissionPolicy denies the Newt Deployment for one Pangolin endpoint).
 * Releases this apply changed go back to their previous revision, a fresh install is removed, a
 * release left `failed` by a real failed upgrade is rolled back, never uninstalled, its PVCs kept, and
 * the first upgrade of an install by an older jitsi-k8s (its jitsi-meet release owns the recording
 * and transcript claims) goes back with the claims intact, ready for the next apply to move them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { cluster, helmAsync as helm, kubectlAsync as kubectl, realClusterWork, skipReason, TEST_STORAGE_CLASS } from '../support/control-plane.js';
import { helmBin } from '../support/tools.js';
import { initArgs } from '../support/cli.js';

const real = realClusterWork('jk8s-rollback');
const { chart, dir: work } = real;
const ns = {
  upgrade: real.space('jk8s-rb-up'),
  fresh: real.space('jk8s-rb-new'),
  failed: real.space('jk8s-rb-failed', { bindClaims: true }),
  older: real.space('jk8s-rb-older', { bindClaims: true }),
};
const policy = `jk8s-refuse-endpoint-${real.runId}`;
/** the Pangolin endpoint whose Newt Deployment the API server refuses */
const REFUSED = 'https://refused.test.invalid';
const ACCEPTED = 'https://pangolin.test.invalid';

const jitsiK8s = (args: string[]) => real.jitsiK8s(args, { NEWT_ID: 'newt-id-test', NEWT_SECRET: 'newt-secret-test' }, 6 * 60_000);
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

/** helm's rollback of jitsi to `revision` is its newest of `revisions`, deployed, with the values it had then; returns the history */
async function expectJitsiBackAt(namespace: string, revision: number, valuesThen: unknown, revisions: number) {
  const h = await history('jitsi', namespace);
  expect(h.map((x) => x.revision)).toEqual(Array.from({ length: revisions }, (_, i) => i + 1));
  expect(h.at(-1)).toMatchObject({ status: 'deployed', description: `Rollback to ${revision}` });
  expect(await releases(namespace)).toContain('jitsi deployed');
  expect(await values(namespace)).toEqual(valuesThen);
  return h;
}

/** An apply the policy stops at its extras step: exit 1, the refusal and what was rolled back named, no rollback failed. */
async function expectRefusedApply(configPath: string, rolledBack: string) {
  const r = await jitsiK8s(['apply', '--yes', '--config', configPath]);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain('this cluster refuses that Pangolin endpoint (test policy)');
  expect(r.stderr).toContain(`rolled back: ${rolledBack}`);
  expect(r.stderr).not.toContain('rollback FAILED');
  return r;
}

/** claim name → UID and phase: a claim deleted and made again has a new UID */
async function claims(namespace: string): Promise<Record<string, { uid: string; phase?: string }>> {
  const list = JSON.parse(await kubectl(['get', 'pvc', '--namespace', namespace, '-o', 'json'])) as {
    items: { metadata: { name: string; uid: string }; status: { phase?: string } }[];
  };
  return Object.fromEntries(list.items.map((p) => [p.metadata.name, { uid: p.metadata.uid, phase: p.status.phase }]));
}

/**
 * A Pangolin config for a namespace (the Newt Deployment is the extras chart's object the policy judges);
 * `persistence`: prosody keeps its data in a PVC; `recordings`: jibri and the transcriber keep theirs.
 */
async function init(namespace: string, endpoint: string, storage: { persistence?: boolean; recordings?: boolean } = {}): Promise<string> {
  const configPath = join(work, `${namespace}.yaml`);
  const r = await jitsiK8s(
    initArgs(configPath, namespace, [
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
      ...(storage.recordings
        ? ['--jibri', '--jibri-storage', '1Gi', '--transcriber', '--transcriber-storage', '1Gi', '--storage-class', TEST_STORAGE_CLASS]
        : []),
    ]),
  );
  expect(r.code, r.stderr).toBe(0);
  if (storage.persistence) editConfig(configPath, (c) => (c.components.prosody.persistence = { enabled: true, size: '1Gi', storageClass: TEST_STORAGE_CLASS }));
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
  await real.setUp();
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
  if (cluster) await kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', policy, '--ignore-not-found']).catch(() => undefined);
  await real.cleanUp();
});

describe.skipIf(!cluster)(`rollback when the real API server refuses a later step${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it(
    'an upgrade: jitsi goes back to its previous revision and values, helm keeps the extras on theirs, exit 1 with the refusal',
    { timeout: 8 * 60_000 },
    async () => {
      const configPath = await init(ns.upgrade, ACCEPTED);
      const first = await jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(first.code, first.stderr).toBe(0);
      const before = await values(ns.upgrade);
      const extrasBefore = await history('jitsi-extras', ns.upgrade);
      // a change to the main release and to the extras (only the Newt endpoint: same values, other manifests)
      editConfig(configPath, (c) => {
        c.components.web.replicas = 2;
        c.exposure.pangolin.endpoint = REFUSED;
      });
      const r = await expectRefusedApply(configPath, 'jitsi to revision 1');
      expect(r.stderr).toMatch(/hint: an admission policy/);
      const h = await expectJitsiBackAt(ns.upgrade, 1, before, 3);
      expect(h.map((x) => x.status)).toEqual(['superseded', 'superseded', 'deployed']);
      expect(JSON.parse(await kubectl(['get', 'deployment', 'jitsi-jitsi-meet-web', '--namespace', ns.upgrade, '-o', 'json'])).spec.replicas).toBe(1);
      // helm's own --rollback-on-failure returned the extras to the revision that was deployed
      const extras = await history('jitsi-extras', ns.upgrade);
      expect(extras.length).toBeGreaterThan(extrasBefore.length);
      expect(extras.at(-1)).toMatchObject({ status: 'deployed', chart: extrasBefore.at(-1)!.chart });
      const newt = JSON.parse(await kubectl(['get', 'deployment', 'jitsi-newt', '--namespace', ns.upgrade, '-o', 'json']));
      expect(newt.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'PANGOLIN_ENDPOINT').value).toBe(ACCEPTED);
    },
  );

  it('a fresh install: the jitsi release this apply installed is removed, exit 1', { timeout: 8 * 60_000 }, async () => {
    const configPath = await init(ns.fresh, REFUSED);
    await expectRefusedApply(configPath, 'jitsi (new install removed)');
    expect(await releases(ns.fresh)).toEqual([]);
    expect(await kubectl(['get', 'deployments', '--namespace', ns.fresh, '-o', 'name'])).toBe('');
  });

  it(
    'a release left failed by a real failed upgrade is rolled back to its last deployed revision, never uninstalled; its PVC stays',
    { timeout: 8 * 60_000 },
    async () => {
      const configPath = await init(ns.failed, ACCEPTED, { persistence: true });
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
      await expectRefusedApply(configPath, 'jitsi to revision 1');
      await expectJitsiBackAt(ns.failed, 1, before, 4);
      const web = JSON.parse(await kubectl(['get', 'deployment', 'jitsi-jitsi-meet-web', '--namespace', ns.failed, '-o', 'json']));
      expect(web.spec.template.spec.nodeSelector ?? {}).toEqual({});
      const pvc = JSON.parse(await kubectl(['get', claim, '--namespace', ns.failed, '-o', 'json']));
      expect(pvc.status.phase).toBe('Bound');
    },
  );

  it(
    'the first upgrade of an install by an older jitsi-k8s (jitsi owns the recording and transcript claims): jitsi goes back, the claims stay Bound with their UIDs, the next apply moves them to the data release',
    { timeout: 12 * 60_000 },
    async () => {
      const configPath = await init(ns.older, REFUSED, { recordings: true });
      await real.olderInstall(ns.older);
      let older = await claims(ns.older);
      for (let i = 0; Object.values(older).some((c) => c.phase !== 'Bound'); i++) {
        if (i >= 60) throw new Error(`the cloud did not bind the claims within 30 s: ${JSON.stringify(older)}`);
        await new Promise((r) => setTimeout(r, 500));
        older = await claims(ns.older);
      }
      expect(Object.keys(older).sort()).toEqual(['jitsi-jitsi-meet-jibri', 'jitsi-jitsi-meet-transcriber']);
      const before = await values(ns.older);

      // this apply gives the claims to jitsi-data, upgrades jitsi to mount them from there, then the extras are refused
      await expectRefusedApply(configPath, 'jitsi to revision 1; jitsi-data (new install removed)');
      // revision 3 is helm's first attempt, refused: it cannot roll back onto kept claims missing from revision 2 (helm issue 13142)
      await expectJitsiBackAt(ns.older, 1, before, 4);
      expect(await releases(ns.older)).toEqual(['jitsi deployed']);
      expect(await claims(ns.older)).toEqual(older);

      editConfig(configPath, (c) => (c.exposure.pangolin.endpoint = ACCEPTED));
      const again = await jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(again.code, again.stderr).toBe(0);
      expect(await claims(ns.older)).toEqual(older);
      for (const name of Object.keys(older)) {
        const pvc = JSON.parse(await kubectl(['get', 'pvc', name, '--namespace', ns.older, '-o', 'json']));
        expect(pvc.metadata.annotations).toMatchObject({ 'meta.helm.sh/release-name': 'jitsi-data', 'helm.sh/resource-policy': 'keep' });
      }
      expect((await releases(ns.older)).sort()).toEqual(['jitsi deployed', 'jitsi-data deployed', 'jitsi-extras deployed']);
    },
  );
});
