/**
 * Against a real cluster: `npm run test:e2e` with KUBECONFIG set and JITSI_K8S_E2E_DOMAIN naming a
 * host that reaches the cluster's load balancer (optional: JITSI_K8S_E2E_EXPOSURE, default
 * loadBalancer; JITSI_K8S_E2E_TLS, default none). It installs into a fresh namespace, verifies,
 * scales to two bridges and back, and uninstalls. The project's own machines have no cluster, so
 * there this suite says why it does not run instead of pretending to pass.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliAsync } from '../support/cli.js';

const kubeconfig = process.env.KUBECONFIG;
const domain = process.env.JITSI_K8S_E2E_DOMAIN;
const why = !kubeconfig
  ? 'KUBECONFIG is not set — there is no cluster to test against'
  : !domain
    ? 'JITSI_K8S_E2E_DOMAIN is not set — the suite needs a host name that reaches the cluster'
    : undefined;
if (why) console.warn(`test:e2e: ${why}, so the real-cluster suite does not run.`);

const work = mkdtempSync(join(tmpdir(), 'jk8s-e2e-'));
const configPath = join(work, 'jitsi-k8s.yaml');
const namespace = `jk8s-e2e-${Date.now().toString(36)}`;
const env = { KUBECONFIG: kubeconfig };
const long = { timeoutMs: 20 * 60_000 };

afterAll(async () => {
  if (!why) await cliAsync(['uninstall', '--yes', '--delete-data', '--config', configPath], { env, ...long });
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(Boolean(why))('real cluster: init → verify → scale → uninstall', () => {
  it('init --yes installs and waits for the bridge', { timeout: 25 * 60_000 }, async () => {
    const r = await cliAsync(
      ['init', '--yes', '--out', configPath, '--domain', domain!, '--namespace', namespace, '--exposure', process.env.JITSI_K8S_E2E_EXPOSURE ?? 'loadBalancer', '--tls', process.env.JITSI_K8S_E2E_TLS ?? 'none', '--jvb-replicas', '1'],
      { env, ...long },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(parse(readFileSync(configPath, 'utf8')).cluster.namespace).toBe(namespace);
  });

  it('apply again changes nothing', { timeout: 10 * 60_000 }, async () => {
    const r = await cliAsync(['apply', '--yes', '--json', '--config', configPath], { env, ...long });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outcomes.find((o: { id: string }) => o.id === 'jitsi-meet').status).toBe('unchanged');
  });

  it('verify proves media can flow', { timeout: 5 * 60_000 }, async () => {
    const r = await cliAsync(['verify', '--json', '--config', configPath], { env, ...long });
    expect(r.code, r.stderr).toBe(0);
  });

  it('scale jvb 2 and back to 1', { timeout: 25 * 60_000 }, async () => {
    const up = await cliAsync(['scale', 'jvb', '2', '--yes', '--config', configPath], { env, ...long });
    expect(up.code, up.stderr).toBe(0);
    const status = await cliAsync(['status', '--json', '--config', configPath], { env });
    expect(JSON.parse(status.stdout).bridges).toHaveLength(2);
    const down = await cliAsync(['scale', 'jvb', '1', '--yes', '--config', configPath], { env, ...long });
    expect(down.code, down.stderr).toBe(0);
  });

  it('uninstall removes the release', { timeout: 15 * 60_000 }, async () => {
    const r = await cliAsync(['uninstall', '--yes', '--delete-data', '--config', configPath], { env, ...long });
    expect(r.code, r.stderr).toBe(0);
  });
});
