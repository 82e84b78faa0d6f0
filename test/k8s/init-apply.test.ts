/**
 * init runs the same pipeline as `apply` after writing the files: the built bin, real helm and
 * kubectl, against the REAL API server (kwok's simulated nodes, StorageClasses as the run left them).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliAsync } from '../support/cli.js';
import { cluster, kubectl, kubectlJson, schedulableNodeCount, skipReason } from '../support/control-plane.js';
import { helmBin, kubectlBin } from '../support/tools.js';

const ns = `jk8s-init-${Date.now().toString(36).slice(-5)}`;
const work = mkdtempSync(join(tmpdir(), 'jk-init-apply-'));

afterAll(() => {
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!cluster)(`init → apply against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('writes the files, then the apply preflight stops before any change (exit 1)', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(work, 'a-'));
    // what the wizard should report: the schedulable nodes and every class
    const nodes = schedulableNodeCount();
    const classes = kubectlJson<{ items: unknown[] }>(['get', 'storageclasses']).items.length;
    const env = { KUBECONFIG: cluster!.kubeconfig, JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin(), HOME: work };
    const r = await cliAsync(
      [
        'init',
        '--yes',
        '--domain',
        'meet.example.com',
        '--tls',
        'none',
        '--public-ip',
        '203.0.113.10',
        '--namespace',
        ns,
        '--jibri',
        '--storage-class',
        'nope',
        '--out',
        join(dir, 'jitsi-k8s.yaml'),
      ],
      { env, cwd: dir, timeoutMs: 110_000 },
    );
    expect(r.code, r.stderr).toBe(1);
    // the wizard used the cluster's facts
    expect(nodes).toBeGreaterThan(0);
    expect(r.stderr).toContain(`cluster jitsi-k8s-test: ${nodes} schedulable node(s), ${classes} storage class(es)`);
    expect(r.stderr).toContain('wrote');
    expect(readdirSync(dir).sort()).toEqual(['jitsi-k8s.secrets.yaml', 'jitsi-k8s.yaml']);
    // then apply's preflight (the same pipeline as `jitsi-k8s apply`) refused the unknown class
    expect(r.stderr).toMatch(/preflight failed .*nothing was changed/);
    expect(r.stderr).toContain('nope');
    // nothing was written: no namespace, no helm release anywhere for it
    expect(kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']).trim()).toBe('');
    expect(
      kubectl(['get', 'secrets', '--all-namespaces', '-l', 'owner=helm', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}']).split('\n'),
    ).not.toContain(ns);
  });
});
