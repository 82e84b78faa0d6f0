/**
 * init runs the same pipeline as `apply` after writing the files: the built bin, real helm and
 * kubectl, the fake Kubernetes API server as the cluster.
 * Look-alike API server: nodes and storage classes for the preflight that stops apply; the real control plane could serve
 * them (preflight runs there in test/k8s/preflight.test.ts); not moved yet.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeNode, fakeStorageClass, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { cliAsync } from '../support/cli.js';
import { helmBin, kubectlBin } from '../support/tools.js';

let api: FakeApiServer;
let env: Record<string, string>;
const work = mkdtempSync(join(tmpdir(), 'jk-init-apply-'));

beforeAll(async () => {
  api = await startFakeApiServer();
  for (let i = 0; i < 3; i++) api.state.nodes.push(fakeNode({ name: `n${i}`, cpu: '8', memory: '32Gi' }));
  api.state.storageClasses.push(fakeStorageClass({ name: 'standard', isDefault: true }));
  env = { KUBECONFIG: api.writeKubeconfig(), JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin(), HOME: work };
});

afterAll(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

describe('init → apply', () => {
  it('writes the files, then the apply preflight stops before any change (exit 1)', async () => {
    const dir = mkdtempSync(join(work, 'a-'));
    api.requests.length = 0;
    const r = await cliAsync(
      ['init', '--yes', '--domain', 'meet.example.com', '--tls', 'none', '--public-ip', '203.0.113.10', '--jibri', '--storage-class', 'nope', '--out', join(dir, 'jitsi-k8s.yaml')],
      { env, cwd: dir },
    );
    expect(r.code, r.stderr).toBe(1);
    // the wizard used the cluster's facts
    expect(r.stderr).toContain('cluster fake: 3 schedulable node(s), 1 storage class(es)');
    expect(r.stderr).toContain('wrote');
    expect(readdirSync(dir).sort()).toEqual(['jitsi-k8s.secrets.yaml', 'jitsi-k8s.yaml']);
    // then apply's preflight (the same pipeline as `jitsi-k8s apply`) refused the unknown class
    expect(r.stderr).toMatch(/preflight failed .*nothing was changed/);
    expect(r.stderr).toContain('nope');
    // nothing was written: the only non-GET requests are access reviews (questions, not changes)
    expect(api.requests.filter((q) => q.method !== 'GET' && !q.path.endsWith('/selfsubjectaccessreviews'))).toEqual([]);
    expect(api.requests.some((q) => q.path.endsWith('/selfsubjectaccessreviews'))).toBe(true);
  });
});
