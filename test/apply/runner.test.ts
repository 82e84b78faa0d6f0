/**
 * The apply runner with real helm against the fake API server (the cluster is the only fake).
 * Look-alike API server: a release is "installed" by writing helm's release Secret into it, and its request log proves no write.
 * The real control plane could cover most (test/k8s/apply.test.ts and rollback.test.ts run the runner there); not moved yet.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan, runStep, type StepContext, type TaskRunner } from '../../src/cluster/apply.js';
import { detectHelm } from '../../src/cluster/helm.js';
import { planApply, planUninstall } from '../../src/cluster/plan.js';
import { CommandError, InterruptedError } from '../../src/errors.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { helmBin, kubectlBin } from '../support/tools.js';
import { helmReleaseSecret } from './helm-release-secret.js';

let api: FakeApiServer;
let ctx: StepContext;
const release = renderRelease(config(), FIXED_SECRETS);

beforeAll(async () => {
  api = await startFakeApiServer();
  process.env.KUBECONFIG = api.writeKubeconfig();
  ctx = {
    helm: await detectHelm(helmBin()),
    kubectl: kubectlBin(),
    signal: new AbortController().signal,
    actions: { serviceAddresses: async () => ['203.0.113.1'], waitForBridges: async () => undefined },
  };
});
afterAll(async () => {
  delete process.env.KUBECONFIG;
  await api.close();
});

/** A tiny chart standing in for the repository download (no network in tests). */
function localChart(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jk8s-localchart-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: jitsi-meet\nversion: 3.4.0\n');
  writeFileSync(join(dir, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  bridges: {{ .Values.jvb.portRangeSize | quote }}\n');
  return dir;
}

const writes = () => api.requests.filter((r) => r.method !== 'GET');

describe('apply runner with real helm', () => {
  it('detects the helm version', () => {
    expect(ctx.helm.major).toBeGreaterThanOrEqual(3);
    expect(ctx.helm.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('after a stop signal no step starts: helm is not even spawned, and the error names the signal', async () => {
    const stop = new AbortController();
    stop.abort(new InterruptedError('interrupted by SIGTERM'));
    api.requests.length = 0;
    const plan = planApply(release, { helm: ctx.helm, timeout: '15m' });
    await expect(runPlan(plan, { ...ctx, signal: stop.signal }, 'jitsi')).rejects.toThrow(new RegExp(`^interrupted by SIGTERM: ${ctx.helm.bin} \\S+ was not started$`));
    expect(api.requests).toEqual([]);
  });

  it('an installed release with the same values and chart is left alone (no upgrade, no write)', async () => {
    api.state.secrets = [helmReleaseSecret({ name: 'jitsi', namespace: 'jitsi', chart: { name: 'jitsi-meet', version: '3.4.0' }, values: fullValues(release) })];
    api.requests.length = 0;
    const main = planApply(release, { helm: ctx.helm, timeout: '15m' }).find((s) => s.id === 'jitsi-meet')!;
    const outcome = await runStep(main, ctx, () => {});
    expect(outcome.status).toBe('unchanged');
    expect(api.requests.some((r) => r.path === '/api/v1/namespaces/jitsi/secrets')).toBe(true); // helm really asked
    expect(writes()).toEqual([]);
  });

  it('changed values make it run the upgrade (with a local chart: no network; the fake cannot store it)', async () => {
    const changed = renderRelease(config({ components: { jvb: { replicas: 2 } } }), FIXED_SECRETS);
    const chart = localChart();
    const main = planApply(changed, { helm: ctx.helm, timeout: '1m', chart }).find((s) => s.id === 'jitsi-meet')!;
    expect(main.args.slice(0, 4)).toEqual(['upgrade', '--install', 'jitsi', chart]);
    api.requests.length = 0;
    const err = await runStep(main, ctx, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as Error).message).toMatch(/helm upgrade --install jitsi .* failed \(exit 1\)/);
    expect((err as Error).message).not.toContain(FIXED_SECRETS.xmpp.jvb);
    // helm got past the unchanged check, rendered the chart and went on to build the objects for the cluster
    expect((err as Error).message).toMatch(/UPGRADE FAILED: .*failed to download openapi/);
    expect(api.requests.some((r) => r.path.startsWith('/openapi/'))).toBe(true);
  });

  it('removing an extras release that was never installed counts as done', async () => {
    api.state.secrets = [];
    const rm = planApply(release, { helm: ctx.helm, timeout: '15m' }).find((s) => s.id === 'extras-remove')!;
    const outcome = await runStep(rm, ctx, () => {});
    expect(outcome).toMatchObject({ id: 'extras-remove', status: 'skipped' });
  });

  it('uninstall of an absent release is not an error', async () => {
    const steps = planUninstall({ release: 'jitsi', namespace: 'jitsi' }, { deleteData: false, dependencies: [] });
    for (const s of steps) expect((await runStep(s, ctx, () => {})).status).toBe('skipped');
  });

  it("runPlan reports each step to the caller's progress display (titles, output, how it went) and returns the outcomes", async () => {
    const steps = planUninstall({ release: 'jitsi', namespace: 'jitsi' }, { deleteData: false, dependencies: [] });
    const seen: string[] = [];
    const recording: TaskRunner = async (tasks) => {
      for (const t of tasks) {
        seen.push(`start ${t.title}`);
        await t.run({ output: (l) => seen.push(`output ${l}`), retitle: (x) => seen.push(`title ${x}`) });
      }
    };
    const outcomes = await runPlan(steps, ctx, 'jitsi', recording);
    expect(outcomes.map((o) => o.status)).toEqual(steps.map(() => 'skipped'));
    expect(seen.filter((l) => l.startsWith('start '))).toEqual(steps.map((s) => `start ${s.title}`));
    expect(seen).toContain(`title ${steps[0]!.title} — skipped: nothing to remove`);
  });

  it('a step that fails stops the display and the error comes back from runPlan', async () => {
    const steps = planUninstall({ release: 'jitsi', namespace: 'jitsi' }, { deleteData: false, dependencies: [] });
    const failing = { ...steps[0]!, okWhen: undefined, args: ['no-such-helm-command'] };
    let ran = 0;
    const counting: TaskRunner = async (tasks) => {
      for (const t of tasks) {
        ran++;
        await t.run({ output: () => undefined, retitle: () => undefined });
      }
    };
    const err = await runPlan([failing, ...steps], ctx, 'jitsi', counting).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(ran).toBe(1);
  });

  it('an unreachable cluster fails with the hint to check the context', async () => {
    const kc = api.writeKubeconfig({ contexts: [{ name: 'gone', server: 'https://127.0.0.1:1' }], current: 'gone' });
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kc;
    try {
      const main = planApply(release, { helm: ctx.helm, timeout: '1m' }).find((s) => s.id === 'jitsi-meet')!;
      const err = (await runStep(main, ctx, () => {}).catch((e: unknown) => e)) as CommandError;
      expect(err).toBeInstanceOf(CommandError);
      expect(err.hint).toMatch(/cluster unreachable — check --context \/ KUBECONFIG/);
    } finally {
      process.env.KUBECONFIG = saved;
    }
  });
});
