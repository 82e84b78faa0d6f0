/**
 * The apply runner (runStep, runPlan) with real helm against the REAL API server: a release installed
 * by helm is left alone when nothing changed (its release Secret keeps its resourceVersion: no write),
 * changed values upgrade it, absent releases count as done, and an unreachable cluster gets the hint.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan, runStep, type StepContext, type TaskRunner } from '../../src/cluster/apply.js';
import { detectHelm } from '../../src/cluster/helm.js';
import { planApply, planUninstall } from '../../src/cluster/plan.js';
import { CommandError, InterruptedError } from '../../src/errors.js';
import { renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { cluster, helmAsync, kubectl, skipReason, writeKubeconfig } from '../support/control-plane.js';
import { helmBin, kubectlBin } from '../support/tools.js';

const runId = Date.now().toString(36).slice(-5);
const ns = `jk8s-runner-${runId}`;
/** a namespace nothing is ever installed in */
const empty = `jk8s-runner-none-${runId}`;
const work = mkdtempSync(join(tmpdir(), 'jk8s-runner-'));
const savedKubeconfig = process.env.KUBECONFIG;
let ctx: StepContext;
const release = renderRelease(config({ cluster: { namespace: ns } }), FIXED_SECRETS);

beforeAll(async () => {
  if (!cluster) return;
  process.env.KUBECONFIG = cluster.kubeconfig;
  ctx = {
    helm: await detectHelm(helmBin()),
    kubectl: kubectlBin(),
    signal: new AbortController().signal,
    actions: { serviceAddresses: async () => ['203.0.113.1'], ingressHostname: async () => 'meet.tailnet.ts.net', waitForBridges: async () => undefined },
  };
});
afterAll(() => {
  process.env.KUBECONFIG = savedKubeconfig;
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

/** A tiny chart named like the one we target, standing in for the repository download (no network in tests). */
function localChart(): string {
  const dir = mkdtempSync(join(work, 'chart-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: jitsi-meet\nversion: 3.4.0\n');
  writeFileSync(join(dir, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  bridges: {{ .Values.jvb.portRangeSize | quote }}\n');
  // the bridge Deployments the bridges' post-renderer patches (it fails the install when one is missing); no pods
  writeFileSync(
    join(dir, 'templates', 'jvb.yaml'),
    [
      '{{- range $i := until (int .Values.jvb.portRangeSize) }}',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ $.Release.Name }}-jitsi-meet-jvb-{{ $i }}',
      'spec:',
      '  replicas: 0',
      '  selector: { matchLabels: { probe: "jvb-{{ $i }}" } }',
      '  template:',
      '    metadata: { labels: { probe: "jvb-{{ $i }}" } }',
      '    spec: { containers: [{ name: jitsi-meet, image: probe }] }',
      '{{- end }}',
      '',
    ].join('\n'),
  );
  return dir;
}

/** helm's release Secrets of jitsi with their resourceVersions: any new revision or rewrite shows here */
const releaseSecrets = () =>
  kubectl(['get', 'secrets', '--namespace', ns, '-l', 'owner=helm,name=jitsi', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']).trim();
const probe = () => kubectl(['get', 'configmap', 'probe', '--namespace', ns, '-o', 'jsonpath={.data.bridges}']);

describe.skipIf(!cluster)(`apply runner with real helm on a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('detects the helm version', () => {
    expect(ctx.helm.major).toBeGreaterThanOrEqual(3);
    expect(ctx.helm.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('after a stop signal no step starts: helm is not even spawned, and the error names the signal', { timeout: 60_000 }, async () => {
    const stop = new AbortController();
    stop.abort(new InterruptedError('interrupted by SIGTERM'));
    const untouched = renderRelease(config({ cluster: { namespace: empty } }), FIXED_SECRETS);
    const plan = planApply(untouched, { helm: ctx.helm, timeout: '1m', chart: localChart() });
    await expect(runPlan(plan, { ...ctx, signal: stop.signal }, 'jitsi')).rejects.toThrow(new RegExp(`^interrupted by SIGTERM: ${ctx.helm.bin} \\S+ was not started$`));
    // nothing reached the cluster: no namespace (the install creates it; helm keeps its release Secrets in it)
    expect(kubectl(['get', 'namespaces', '-o', 'name']).split('\n')).not.toContain(`namespace/${empty}`);
  });

  it('an installed release with the same values and chart is left alone (no upgrade, no write)', { timeout: 120_000 }, async () => {
    const chart = localChart();
    const main = planApply(release, { helm: ctx.helm, timeout: '1m', chart }).find((s) => s.id === 'jitsi-meet')!;
    // installed by helm itself with the very values the step would send
    await helmAsync(['upgrade', '--install', 'jitsi', chart, '--namespace', ns, '--create-namespace', '--values', '-'], main.stdin);
    const before = releaseSecrets();
    expect(before).toMatch(/^sh\.helm\.release\.v1\.jitsi\.v1=\d+$/);
    const outcome = await runStep(main, ctx, () => {});
    expect(outcome).toMatchObject({ status: 'unchanged', detail: 'jitsi: values and chart unchanged' });
    expect(releaseSecrets()).toBe(before);
    expect(probe()).toBe('1');
  });

  it('changed values make it run the upgrade, the values on stdin, no secret in argv or output', { timeout: 120_000 }, async () => {
    const changed = renderRelease(config({ cluster: { namespace: ns }, components: { jvb: { replicas: 2 } } }), FIXED_SECRETS);
    const chart = localChart();
    const main = planApply(changed, { helm: ctx.helm, timeout: '1m', chart }).find((s) => s.id === 'jitsi-meet')!;
    expect(main.args.slice(0, 4)).toEqual(['upgrade', '--install', 'jitsi', chart]);
    expect(main.args.join(' ')).not.toContain(FIXED_SECRETS.xmpp.jvb);
    const lines: string[] = [];
    const outcome = await runStep(main, ctx, (l) => lines.push(l));
    expect(outcome).toMatchObject({ status: 'done', changed: { release: 'jitsi', namespace: ns, previousRevision: 1, previousStatus: 'deployed' } });
    expect(lines.join('\n')).not.toContain(FIXED_SECRETS.xmpp.jvb);
    // helm rendered the new values into the cluster: a second revision, the probe says two bridges
    expect(releaseSecrets().split('\n').map((l) => l.split('=')[0])).toEqual(['sh.helm.release.v1.jitsi.v1', 'sh.helm.release.v1.jitsi.v2']);
    expect(probe()).toBe('2');
    // the secrets travelled on stdin and reached the release
    expect(JSON.stringify(JSON.parse(await helmAsync(['get', 'values', 'jitsi', '--namespace', ns, '--output', 'json'])))).toContain(FIXED_SECRETS.xmpp.jvb);
  });

  it('removing an extras release that was never installed counts as done', async () => {
    const rm = planApply(release, { helm: ctx.helm, timeout: '15m' }).find((s) => s.id === 'extras-remove')!;
    const outcome = await runStep(rm, ctx, () => {});
    expect(outcome).toMatchObject({ id: 'extras-remove', status: 'skipped' });
  });

  it('uninstall of an absent release is not an error', async () => {
    const steps = planUninstall({ release: 'jitsi', namespace: empty }, { deleteData: false, dependencies: [] });
    for (const s of steps) expect((await runStep(s, ctx, () => {})).status).toBe('skipped');
  });

  it("runPlan reports each step to the caller's progress display (titles, output, how it went) and returns the outcomes", async () => {
    const steps = planUninstall({ release: 'jitsi', namespace: empty }, { deleteData: false, dependencies: [] });
    const seen: string[] = [];
    const recording: TaskRunner = async (tasks) => {
      for (const t of tasks) {
        seen.push(`start ${t.title}`);
        await t.run({ output: (l) => seen.push(`output ${l}`), retitle: (x) => seen.push(`title ${x}`) });
      }
    };
    const outcomes = await runPlan(steps, ctx, empty, recording);
    expect(outcomes.map((o) => o.status)).toEqual(steps.map(() => 'skipped'));
    expect(seen.filter((l) => l.startsWith('start '))).toEqual(steps.map((s) => `start ${s.title}`));
    expect(seen).toContain(`title ${steps[0]!.title} — skipped: nothing to remove`);
  });

  it('a step that fails stops the display and the error comes back from runPlan', async () => {
    const steps = planUninstall({ release: 'jitsi', namespace: empty }, { deleteData: false, dependencies: [] });
    const failing = { ...steps[0]!, okWhen: undefined, args: ['no-such-helm-command'] };
    let ran = 0;
    const counting: TaskRunner = async (tasks) => {
      for (const t of tasks) {
        ran++;
        await t.run({ output: () => undefined, retitle: () => undefined });
      }
    };
    const err = await runPlan([failing, ...steps], ctx, empty, counting).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(ran).toBe(1);
  });

  it('an unreachable cluster fails with the hint to check the context', async () => {
    const kc = writeKubeconfig(join(work, 'gone.kubeconfig'), { context: 'test', others: [{ name: 'gone', server: 'https://127.0.0.1:1' }], current: 'gone' });
    process.env.KUBECONFIG = kc;
    try {
      const main = planApply(release, { helm: ctx.helm, timeout: '1m' }).find((s) => s.id === 'jitsi-meet')!;
      const err = (await runStep(main, ctx, () => {}).catch((e: unknown) => e)) as CommandError;
      expect(err).toBeInstanceOf(CommandError);
      expect(err.hint).toMatch(/cluster unreachable — check --context \/ KUBECONFIG/);
    } finally {
      process.env.KUBECONFIG = cluster!.kubeconfig;
    }
  });
});
