/**
 * `jitsi-k8s apply` and `uninstall` as a user runs them: the built bin, real helm, the fake API server.
 * Look-alike API server: nodes and storage classes for preflight. The real control plane could serve these cases (install, uninstall
 * and preflight already run there in test/k8s/apply.test.ts and preflight.test.ts); they have not moved yet.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fakeNode, fakeStorageClass, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { cliAsync } from '../support/cli.js';
import { helmBin, kubectlBin } from '../support/tools.js';

let api: FakeApiServer;
let env: Record<string, string>;
const work = mkdtempSync(join(tmpdir(), 'jk8s-apply-'));

beforeAll(async () => {
  api = await startFakeApiServer();
  for (let i = 0; i < 3; i++) api.state.nodes.push(fakeNode({ name: `n${i}`, cpu: '8', memory: '32Gi' }));
  api.state.storageClasses.push(fakeStorageClass({ name: 'standard', isDefault: true }));
  env = { KUBECONFIG: api.writeKubeconfig(), JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin() };
});
afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

function configFile(text: string): string {
  const dir = mkdtempSync(join(work, 'c-'));
  const p = join(dir, 'jitsi-k8s.yaml');
  writeFileSync(p, text);
  return p;
}

const BASE = `domain: meet.example.com
nodes: { count: 3, cpu: 8, memoryGiB: 32 }
components: { jvb: { replicas: 2 } }
exposure: { mode: loadBalancer, publicIP: 203.0.113.10 }
tls: { mode: letsencrypt, email: ops@example.com }
`;

describe('jitsi-k8s apply', () => {
  it('--dry-run prints every step with values, secrets redacted, and touches nothing', async () => {
    const p = configFile(BASE);
    api.requests.length = 0;
    const r = await cliAsync(['apply', '--dry-run', '--config', p], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/# 1\. helm upgrade --install jitsi \(chart jitsi-meet 3\.4\.0\)/);
    expect(r.stdout).toContain('--rollback-on-failure --wait=watcher --timeout 15m'); // helm 4 from the npm package
    expect(r.stdout).toContain('password: <redacted>');
    const secrets = parse(readFileSync(join(p, '..', 'jitsi-k8s.secrets.yaml'), 'utf8'));
    expect(r.stdout + r.stderr).not.toContain(secrets.xmpp.jvb);
    expect(api.requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });

  it('--json --dry-run gives the steps as data', async () => {
    const r = await cliAsync(['apply', '--dry-run', '--json', '--config', configFile(BASE)], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).steps.map((s: { id: string }) => s.id)).toEqual(['jitsi-meet', 'extras-remove', 'wait-bridges']);
  });

  it('a failed preflight stops before any change, names the checks and exits 1', async () => {
    const p = configFile(BASE.replace('components: { jvb: { replicas: 2 } }', 'components: { jvb: { replicas: 2 }, jibri: { enabled: true, storage: { size: 5Gi, storageClass: nope } } }'));
    api.requests.length = 0;
    const r = await cliAsync(['apply', '--yes', '--config', p], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/preflight failed .*nothing was changed/);
    expect(r.stderr).toContain('nope');
    expect(api.requests.some((q) => q.path === '/api/v1/namespaces/jitsi/secrets')).toBe(false); // helm never ran
  });

  it('tailscale mode without the OAuth client is a usage error that says which variables to set', async () => {
    const r = await cliAsync(['apply', '--dry-run', '--config', configFile(BASE.replace('mode: loadBalancer, publicIP: 203.0.113.10', 'mode: tailscale'))], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TS_OAUTH_CLIENT_ID');
  });

  it('tailscale credentials from the environment go to the secrets file and on stdin, never argv or output', async () => {
    const p = configFile(BASE.replace('mode: loadBalancer, publicIP: 203.0.113.10', 'mode: tailscale'));
    const r = await cliAsync(['apply', '--dry-run', '--config', p], { env: { ...env, TS_OAUTH_CLIENT_ID: 'cid', TS_OAUTH_CLIENT_SECRET: 'tskey-very-secret' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tailscale-operator');
    expect(r.stdout + r.stderr).not.toContain('tskey-very-secret');
    expect(readFileSync(join(p, '..', 'jitsi-k8s.secrets.yaml'), 'utf8')).toContain('tskey-very-secret');
  });
});

describe('jitsi-k8s uninstall', () => {
  it('--dry-run lists what goes and keeps data unless --delete-data', async () => {
    const p = configFile(BASE);
    const keep = await cliAsync(['uninstall', '--dry-run', '--config', p], { env });
    expect(keep.code).toBe(0);
    expect(keep.stdout).toContain('uninstall jitsi-extras');
    expect(keep.stdout).not.toContain('persistentvolumeclaims');
    const del = await cliAsync(['uninstall', '--dry-run', '--delete-data', '--config', p], { env });
    expect(del.stdout).toContain('delete persistentvolumeclaims --namespace jitsi --selector app.kubernetes.io/instance=jitsi');
  });

  it('asks first; without a terminal and without --yes it refuses', async () => {
    const r = await cliAsync(['uninstall', '--config', configFile(BASE)], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes');
  });

  it('--yes removes with real helm; absent releases are fine', async () => {
    const r = await cliAsync(['uninstall', '--yes', '--config', configFile(BASE)], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('removed release jitsi in namespace jitsi');
    expect(r.stderr).toContain('the PersistentVolumeClaims were kept: recordings, transcripts, prosody data');
  });
});
