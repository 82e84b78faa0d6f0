/**
 * `jitsi-k8s apply` and `uninstall` as a user runs them: the built bin and real helm against the REAL
 * API server (kwok's simulated nodes). What must change nothing runs with the token of a ServiceAccount
 * that may only read, and the cluster is read back afterwards: no namespace, no helm release.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliAsync } from '../support/cli.js';
import { cluster, kubectl, readOnlyUser, skipReason, writeKubeconfig } from '../support/control-plane.js';
import { helmBin, kubectlBin } from '../support/tools.js';

const runId = Date.now().toString(36).slice(-5);
const ns = `jk8s-cmd-${runId}`;
const work = mkdtempSync(join(tmpdir(), 'jk8s-apply-'));
let reader: ReturnType<typeof readOnlyUser> | undefined;
/** the cluster admin's kubeconfig, and one whose user may only read */
let env: Record<string, string>;
let readOnlyEnv: Record<string, string>;

beforeAll(() => {
  if (!cluster) return;
  reader = readOnlyUser(`jk8s-reader-${runId}`);
  const tools = { JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin() };
  env = { KUBECONFIG: cluster.kubeconfig, ...tools };
  readOnlyEnv = { KUBECONFIG: writeKubeconfig(join(work, 'reader.kubeconfig'), { context: 'reader', token: reader.token }), ...tools };
});
afterAll(() => {
  reader?.remove();
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

function configFile(text: string): string {
  const dir = mkdtempSync(join(work, 'c-'));
  const p = join(dir, 'jitsi-k8s.yaml');
  writeFileSync(p, text);
  return p;
}

/** Nothing of this file's namespace is in the cluster: no namespace, no helm release Secret anywhere for it. */
function expectUntouched(): void {
  expect(kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']).trim()).toBe('');
  const releaseSpaces = kubectl(['get', 'secrets', '--all-namespaces', '-l', 'owner=helm', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}']);
  expect(releaseSpaces.split('\n')).not.toContain(ns);
}

const BASE = `domain: meet.example.com
nodes: { count: 3, cpu: 8, memoryGiB: 32 }
components: { jvb: { replicas: 2 } }
exposure: { mode: loadBalancer, publicIP: 203.0.113.10 }
tls: { mode: letsencrypt, email: ops@example.com }
cluster: { namespace: ${ns} }
`;

describe.skipIf(!cluster)(`jitsi-k8s apply against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('--dry-run prints every step with values, secrets redacted, and touches nothing (its credentials may only read)', async () => {
    const p = configFile(BASE);
    const r = await cliAsync(['apply', '--dry-run', '--config', p], { env: readOnlyEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/# 1\. helm upgrade --install jitsi \(chart jitsi-meet 3\.4\.0\)/);
    expect(r.stdout).toContain('--rollback-on-failure --wait=watcher --timeout 15m'); // helm 4 from the npm package
    expect(r.stdout).toContain('password: <redacted>');
    const secrets = parse(readFileSync(join(p, '..', 'jitsi-k8s.secrets.yaml'), 'utf8'));
    expect(r.stdout + r.stderr).not.toContain(secrets.xmpp.jvb);
    expectUntouched();
  });

  it('--json --dry-run gives the steps as data', async () => {
    const r = await cliAsync(['apply', '--dry-run', '--json', '--config', configFile(BASE)], { env: readOnlyEnv });
    expect(r.code).toBe(0);
    // two bridges: the extras chart holds their PodDisruptionBudget
    expect(JSON.parse(r.stdout).steps.map((s: { id: string }) => s.id)).toEqual(['jitsi-meet', 'extras', 'wait-bridges']);
  });

  it('a failed preflight stops before any change, names the checks and exits 1', async () => {
    const p = configFile(BASE.replace('components: { jvb: { replicas: 2 } }', 'components: { jvb: { replicas: 2 }, jibri: { enabled: true, storage: { size: 5Gi, storageClass: nope } } }'));
    const r = await cliAsync(['apply', '--yes', '--config', p], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/preflight failed .*nothing was changed/);
    expect(r.stderr).toContain('nope');
    expectUntouched(); // helm never ran
  });

  it('tailscale mode without the OAuth client is a usage error that says which variables to set', async () => {
    const r = await cliAsync(['apply', '--dry-run', '--config', configFile(BASE.replace('mode: loadBalancer, publicIP: 203.0.113.10', 'mode: tailscale'))], { env: readOnlyEnv });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TS_OAUTH_CLIENT_ID');
  });

  it('tailscale credentials from the environment go to the secrets file and on stdin, never argv or output', async () => {
    const p = configFile(BASE.replace('mode: loadBalancer, publicIP: 203.0.113.10', 'mode: tailscale'));
    const r = await cliAsync(['apply', '--dry-run', '--config', p], { env: { ...readOnlyEnv, TS_OAUTH_CLIENT_ID: 'cid', TS_OAUTH_CLIENT_SECRET: 'tskey-very-secret' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tailscale-operator');
    expect(r.stdout + r.stderr).not.toContain('tskey-very-secret');
    expect(readFileSync(join(p, '..', 'jitsi-k8s.secrets.yaml'), 'utf8')).toContain('tskey-very-secret');
    expectUntouched();
  });
});

describe.skipIf(!cluster)(`jitsi-k8s uninstall against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('--dry-run lists what goes and keeps data unless --delete-data', async () => {
    const p = configFile(BASE);
    const keep = await cliAsync(['uninstall', '--dry-run', '--config', p], { env: readOnlyEnv });
    expect(keep.code).toBe(0);
    expect(keep.stdout).toContain('uninstall jitsi-extras');
    expect(keep.stdout).not.toContain('persistentvolumeclaims');
    const del = await cliAsync(['uninstall', '--dry-run', '--delete-data', '--config', p], { env: readOnlyEnv });
    expect(del.stdout).toContain(`delete persistentvolumeclaims --namespace ${ns} --selector app.kubernetes.io/instance=jitsi`);
    expectUntouched();
  });

  it('asks first; without a terminal and without --yes it refuses', async () => {
    const r = await cliAsync(['uninstall', '--config', configFile(BASE)], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes');
  });

  it('--yes removes with real helm; absent releases are fine', async () => {
    const r = await cliAsync(['uninstall', '--yes', '--config', configFile(BASE)], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`removed release jitsi in namespace ${ns}`);
    expect(r.stderr).toContain('the PersistentVolumeClaims were kept: recordings, transcripts, prosody data');
    expectUntouched();
  });
});
