/**
 * The wizard's cluster facts against the REAL API server, read with a read-only ServiceAccount's
 * token as `init` would: cert-manager is there exactly when its API group is served, which is what
 * preflight asks of tls.mode letsencrypt. The test cluster has no cert-manager; the test then
 * creates cert-manager's Certificate CRD, and removes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterFacts } from '../../src/cluster/facts.js';
import { openKube } from '../../src/cluster/kube.js';
import { runPreflight } from '../../src/cluster/preflight.js';
import { configSchema } from '../../src/config/schema.js';
import { cluster, expectNoCertManager, installCertManagerCrd, readOnlyUser, skipReason, writeKubeconfig } from '../support/control-plane.js';

const work = mkdtempSync(join(tmpdir(), 'jk-facts-real-'));
let reader: ReturnType<typeof readOnlyUser> | undefined;
let kubeconfig: string;
let crd: Awaited<ReturnType<typeof installCertManagerCrd>> | undefined;

beforeAll(() => {
  if (!cluster) return;
  reader = readOnlyUser(`jk8s-facts-${Date.now().toString(36).slice(-5)}`);
  kubeconfig = writeKubeconfig(join(work, 'kubeconfig'), { context: 'test', token: reader.token });
});

afterAll(async () => {
  await crd?.remove();
  reader?.remove();
  rmSync(work, { recursive: true, force: true });
});

const letsencrypt = configSchema.parse({ domain: 'meet.example.com', tls: { mode: 'letsencrypt', email: 'ops@example.com' } });

async function certManagerSeen(): Promise<{ facts: boolean | undefined; preflight: string | undefined }> {
  const r = await readClusterFacts({ env: { KUBECONFIG: kubeconfig }, timeoutMs: 10_000 });
  if (!r.facts) throw new Error(`facts not read: ${r.reason}`);
  expect(r.facts.apiGroupsProblem).toBeUndefined();
  const pre = await runPreflight(openKube({ kubeconfig }), letsencrypt);
  return { facts: r.facts.certManager, preflight: pre.checks.find((c) => c.name === 'certManager')?.verdict };
}

describe.skipIf(!cluster)(`cluster facts: cert-manager on a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('without cert-manager the facts say so, and preflight would refuse Let\'s Encrypt', async () => {
    await expectNoCertManager();
    expect(await certManagerSeen()).toEqual({ facts: false, preflight: 'fail' });
  });

  it('with cert-manager\'s CRD the facts see it, and preflight accepts Let\'s Encrypt; removed, it is gone again', async () => {
    crd = await installCertManagerCrd();
    expect(await certManagerSeen()).toEqual({ facts: true, preflight: 'ok' });
    await crd.remove();
    crd = undefined;
    expect(await certManagerSeen()).toEqual({ facts: false, preflight: 'fail' });
  });
});
