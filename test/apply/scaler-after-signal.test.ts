/**
 * A bench sweep (`bench --replicas`) puts the bridges back after the run was stopped by SIGTERM or
 * Ctrl-C. By then the process's stop signal is aborted for good, so the restore runs the apply
 * pipeline under its own signal: helm detection, preflight, the helm steps and the bridges' wait.
 * The recording helm stand-in (an upgrade needs a cluster) and the look-alike API server for
 * preflight, as in test/apply/signals.test.ts; the bridges' wait is the one stubbed action (no
 * bridge here answers /colibri/stats). Its own file: the stop signal it aborts is process-wide.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interrupt, interruptSignal } from '../../src/interrupt.js';
import { createJvbScaler } from '../../src/pipeline/scale.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { fakeNode, fakeStorageClass, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { repoRoot } from '../support/tools.js';

const work = mkdtempSync(join(tmpdir(), 'jk8s-scaler-signal-'));
const calls = join(work, 'helm-calls.jsonl');
let api: FakeApiServer;
const saved = { ...process.env };

beforeAll(async () => {
  api = await startFakeApiServer();
  for (let i = 0; i < 4; i++) api.state.nodes.push(fakeNode({ name: `n${i}`, cpu: '8', memory: '32Gi' }));
  api.state.storageClasses.push(fakeStorageClass({ name: 'standard', isDefault: true }));
  api.state.apiGroups.push('metrics.k8s.io', 'cert-manager.io');
  writeFileSync(calls, '');
  Object.assign(process.env, {
    KUBECONFIG: api.writeKubeconfig(),
    JITSI_K8S_HELM: join(repoRoot, 'test/support/helm-standin.mjs'),
    STANDIN_LOG: calls,
    STANDIN_RELEASES: JSON.stringify({ jitsi: { revision: 4, values: { old: true } } }),
  });
});
afterAll(async () => {
  process.env = saved;
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the sweep scaler after a stop signal', () => {
  it('puts the bridges back under the restore\'s own signal: helm, preflight and the bridges\' wait all run', async () => {
    const c = config({ nodes: { count: 4, cpu: 8, memoryGiB: 32 }, components: { jvb: { replicas: 2 } }, exposure: { mode: 'hostPort' } });
    const waited: number[] = [];
    const scaler = createJvbScaler({
      configPath: join(work, 'jitsi-k8s.yaml'),
      config: c,
      secrets: FIXED_SECRETS,
      actions: {
        serviceAddresses: () => Promise.reject(new Error('no load balancer with hostPort')),
        ingressHostname: () => Promise.reject(new Error('no tailnet name with hostPort')),
        waitForBridges: async (_ns, _release, bridges, signal) => {
          expect(signal.aborted).toBe(false);
          waited.push(bridges);
        },
      },
    });
    // the run was stopped: as the first SIGTERM does in src/cli.ts
    interrupt('SIGTERM');
    expect(interruptSignal().aborted).toBe(true);
    const nodesReadBefore = api.requests.filter((r) => r.path === '/api/v1/nodes').length;
    await scaler.scaleTo(3, AbortSignal.timeout(60_000));
    const helm = readFileSync(calls, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { argv: string[] }).argv.slice(0, 3).join(' '));
    expect(helm[0]).toBe('version --template {{.Version}}');
    expect(helm).toContain('upgrade --install jitsi');
    expect(waited).toEqual([3]);
    // preflight read the nodes through the API server
    expect(api.requests.filter((r) => r.path === '/api/v1/nodes').length).toBeGreaterThan(nodesReadBefore);
    expect(await scaler.current()).toBe(3);
  });
});
