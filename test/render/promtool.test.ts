/**
 * The alerting rules and the ScaledObject's query through the real promtool (built from the Prometheus
 * module: npm run monitoring:build): `promtool check rules` parses them, `promtool test rules` feeds series
 * that must fire and series that must not, for every rule.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import type { Config } from '../../src/config/schema.js';
import { renderRelease } from '../../src/render/index.js';
import { alertRules, loadQuery, ruleGroups } from '../../src/render/monitoring.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { monitoringSkip, promtoolBin } from '../support/monitoring.js';

const dir = mkdtempSync(join(tmpdir(), 'jk8s-promtool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// hostPort, 1-4 bridges on stress via KEDA, a 10-minute drain deadline (short series)
const c: Config = config({
  nodes: { count: 4 },
  exposure: { mode: 'hostPort' },
  monitoring: { enabled: true, labels: { release: 'kps' }, prometheusURL: 'http://prometheus-operated.monitoring.svc:9090' },
  components: { jvb: { autoscale: { enabled: true, min: 1, max: 4, metric: 'stress' }, drain: { timeout: '10m' } } },
});
const NS = 'jitsi';
const pod = (i: number) => `jitsi-jitsi-meet-jvb-0-5d9f7c8b4-p${i}`;
const series = (name: string, labels: Record<string, string>, values: string) => ({
  series: `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`,
  values,
});
const bridge = (i: number, extra: Record<string, string> = {}) => ({ namespace: NS, pod: pod(i), ...extra });

/** The annotations Prometheus makes of a rule's templates for one alert. */
function annotations(alert: string, labels: Record<string, string>, value: string): Record<string, string> {
  const rule = alertRules(c).find((r) => r.alert === alert)!;
  return Object.fromEntries(
    Object.entries(rule.annotations).map(([k, v]) => [k, v.replaceAll('{{ $labels.pod }}', labels.pod ?? '').replaceAll('{{ $value }}', value)]),
  );
}
const firing = (alert: string, labels: Record<string, string>, value: string, severity = 'warning') => ({
  exp_labels: { severity, ...labels },
  exp_annotations: annotations(alert, labels, value),
});

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : stringify(content, { lineWidth: 0 }));
  return path;
}

const skip = monitoringSkip();

describe.skipIf(skip)(`promtool${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const rulesFile = write('rules.yaml', ruleGroups(c));

  it('check rules: the PrometheusRule as rendered parses, and so do the ScaledObject queries', async () => {
    const rendered = renderRelease(c, FIXED_SECRETS).extras!.manifests.find((m) => m.kind === 'PrometheusRule')!;
    const fromManifest = write('from-manifest.yaml', (rendered.object as { spec: unknown }).spec);
    const queries = write('queries.yaml', {
      groups: [{ name: 'scaledobject', rules: (['stress', 'participants'] as const).map((m) => ({ record: `jitsi_k8s:scale_${m}`, expr: loadQuery(c, m) })) }],
    });
    const so = renderRelease(c, FIXED_SECRETS).extras!.manifests.find((m) => m.kind === 'ScaledObject')!.object as {
      spec: { triggers: { metadata: { query: string } }[] };
    };
    expect(so.spec.triggers[0]!.metadata.query).toBe(loadQuery(c, 'stress'));
    const r = await run(promtoolBin(), ['check', 'rules', fromManifest, queries]);
    expect(r.stdout).toContain('SUCCESS: 6 rules found');
    expect(r.stdout).toContain('SUCCESS: 2 rules found');
  });

  it('check rules fails on a broken expression (the check can fail)', async () => {
    const broken = write('broken.yaml', { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'sum(jitsi_jvb_stress{' }] }] });
    await expect(run(promtoolBin(), ['check', 'rules', broken])).rejects.toThrow(/FAILED|parse error/);
  });

  it('test rules: every rule fires on the series that should fire and stays quiet on the others', { timeout: 120_000 }, async () => {
    const other = { namespace: 'other', pod: pod(1) };
    const tests = {
      rule_files: [rulesFile],
      evaluation_interval: '1m',
      tests: [
        {
          // stress: over 0.8 for 5 minutes fires; a short peak, a calm bridge and another namespace do not
          interval: '1m',
          input_series: [
            series('jitsi_jvb_stress', bridge(1), '0.9x10'),
            series('jitsi_jvb_stress', bridge(2), '0.9x2 0.5x8'),
            series('jitsi_jvb_stress', bridge(3), '0.5x10'),
            series('jitsi_jvb_stress', other, '0.95x10'),
          ],
          alert_rule_test: [
            { eval_time: '3m', alertname: 'JitsiBridgeStressHigh', exp_alerts: [] },
            { eval_time: '6m', alertname: 'JitsiBridgeStressHigh', exp_alerts: [firing('JitsiBridgeStressHigh', bridge(1), '0.9')] },
            // three of the four bridges over the target: not all busy
            { eval_time: '10m', alertname: 'JitsiBridgesAllBusy', exp_alerts: [] },
          ],
        },
        {
          // all four bridges (the autoscaler's max) over the 0.6 target for 10 minutes
          interval: '1m',
          input_series: [1, 2, 3, 4].map((i) => series('jitsi_jvb_stress', bridge(i), '0.7x15')),
          alert_rule_test: [
            { eval_time: '5m', alertname: 'JitsiBridgesAllBusy', exp_alerts: [] },
            { eval_time: '11m', alertname: 'JitsiBridgesAllBusy', exp_alerts: [firing('JitsiBridgesAllBusy', {}, '4', 'critical')] },
          ],
        },
        {
          // not Ready for 5 minutes fires; Ready, briefly not ready, and another release's pod do not
          interval: '1m',
          input_series: [
            series('kube_pod_status_ready', bridge(1, { condition: 'true' }), '0x10'),
            series('kube_pod_status_ready', bridge(2, { condition: 'true' }), '1x10'),
            series('kube_pod_status_ready', bridge(3, { condition: 'true' }), '0x2 1x8'),
            series('kube_pod_status_ready', { namespace: NS, pod: 'jitsi-jitsi-meet-web-7c9-abcde', condition: 'true' }, '0x10'),
          ],
          alert_rule_test: [{ eval_time: '7m', alertname: 'JitsiBridgeNotReady', exp_alerts: [firing('JitsiBridgeNotReady', bridge(1), '0')] }],
        },
        {
          // graceful shutdown past the 10-minute drain deadline fires; a drain that ends in time does not
          interval: '1m',
          input_series: [
            series('jitsi_jvb_graceful_shutdown', bridge(1), '1x15'),
            series('jitsi_jvb_graceful_shutdown', bridge(2), '1x8 0x7'),
            series('jitsi_jvb_graceful_shutdown', bridge(3), '0x15'),
          ],
          alert_rule_test: [
            { eval_time: '9m', alertname: 'JitsiBridgeDrainOverdue', exp_alerts: [] },
            { eval_time: '12m', alertname: 'JitsiBridgeDrainOverdue', exp_alerts: [firing('JitsiBridgeDrainOverdue', bridge(1), '1')] },
          ],
        },
        {
          // a failed conference fires; a counter that stands still does not
          interval: '1m',
          input_series: [
            series('jitsi_jvb_failed_conferences_total', bridge(1), '0 0 0 1 1 1 1 1'),
            series('jitsi_jvb_failed_conferences_total', bridge(2), '5x8'),
          ],
          alert_rule_test: [
            { eval_time: '2m', alertname: 'JitsiConferencesFailing', exp_alerts: [] },
            { eval_time: '5m', alertname: 'JitsiConferencesFailing', exp_alerts: [firing('JitsiConferencesFailing', bridge(1), '1')] },
          ],
        },
        {
          // participants failing (partially failed conferences or DTLS): each counter alone fires; still counters do not
          interval: '1m',
          input_series: [
            series('jitsi_jvb_partially_failed_conferences_total', bridge(1), '0 0 2 2 2 2'),
            series('jitsi_jvb_endpoints_dtls_failed_total', bridge(2), '3 3 3 4 4 4'),
            series('jitsi_jvb_partially_failed_conferences_total', bridge(3), '7x6'),
            series('jitsi_jvb_endpoints_dtls_failed_total', bridge(3), '1x6'),
          ],
          alert_rule_test: [
            { eval_time: '1m', alertname: 'JitsiParticipantsFailing', exp_alerts: [] },
            {
              eval_time: '5m',
              alertname: 'JitsiParticipantsFailing',
              exp_alerts: [firing('JitsiParticipantsFailing', bridge(1), '2'), firing('JitsiParticipantsFailing', bridge(2), '1')],
            },
          ],
        },
        {
          // what KEDA reads: the summed stress of this release's bridges (1.2 over a 0.6 target wants 2 bridges)
          interval: '1m',
          input_series: [
            series('jitsi_jvb_stress', bridge(1), '0.5x3'),
            series('jitsi_jvb_stress', bridge(2), '0.7x3'),
            series('jitsi_jvb_stress', other, '0.9x3'),
          ],
          promql_expr_test: [{ expr: loadQuery(c, 'stress'), eval_time: '2m', exp_samples: [{ labels: '{}', value: 1.2 }] }],
        },
      ],
    };
    const testFile = write('tests.yaml', tests);
    const r = await run(promtoolBin(), ['test', 'rules', testFile]).catch((e: Error & { stdout?: string }) => {
      throw new Error(`${e.message}\n${e.stdout ?? ''}`);
    });
    expect(r.stdout).toContain('SUCCESS');
  });

  it('test rules can fail: a series that must not fire, expected to fire, is reported', { timeout: 60_000 }, async () => {
    const testFile = write('wrong.yaml', {
      rule_files: [rulesFile],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [series('jitsi_jvb_stress', bridge(1), '0.5x10')],
          alert_rule_test: [{ eval_time: '6m', alertname: 'JitsiBridgeStressHigh', exp_alerts: [firing('JitsiBridgeStressHigh', bridge(1), '0.5')] }],
        },
      ],
    });
    await expect(run(promtoolBin(), ['test', 'rules', testFile])).rejects.toThrow();
  });
});
