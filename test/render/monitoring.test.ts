/**
 * Monitoring and metric autoscaling (issue 23) as rendered: the objects, their labels, the chart keys they
 * turn on; the extras chart through real helm keeps Prometheus' and Grafana's own `{{ }}`; and every
 * monitoring/autoscaling config still renders through the real chart 3.4.0.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { crossFieldIssues } from '../../src/config/validate.js';
import { configSchema } from '../../src/config/schema.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { alertRules } from '../../src/render/monitoring.js';
import { template, type Any } from '../support/chart.js';
import { config, FIXED_SECRETS, input } from '../support/config.js';
import { helmBin } from '../support/tools.js';

const PROM = 'http://prometheus-operated.monitoring.svc:9090';
const MONITORING = { monitoring: { enabled: true, labels: { release: 'kps' }, prometheusURL: PROM } };
const HOSTPORT = { nodes: { count: 4 }, exposure: { mode: 'hostPort' } };
const autoscaled = (autoscale: Record<string, unknown>) => ({ ...HOSTPORT, ...MONITORING, components: { jvb: { replicas: 2, autoscale: { enabled: true, min: 2, max: 4, ...autoscale } } } });

const MONITORING_KINDS = ['PodMonitor', 'ServiceMonitor', 'PrometheusRule', 'ScaledObject'];
const kinds = (c: ReturnType<typeof config>) => (renderRelease(c, FIXED_SECRETS).extras?.manifests ?? []).map((m) => `${m.kind} ${m.name}`);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('monitoring objects', () => {
  it('renders nothing of them, and turns no chart metric key on, when monitoring is off', () => {
    const c = config(HOSTPORT);
    expect(kinds(c).filter((k) => MONITORING_KINDS.some((m) => k.startsWith(m)))).toEqual([]);
    const values = renderRelease(c, FIXED_SECRETS).values as Any;
    expect(values.jvb.metrics).toBeUndefined();
    expect(values.prosody.metrics).toBeUndefined();
  });

  it('renders PodMonitors for the bridges and jicofo, the PrometheusRule and the capacity dashboard, with the Prometheus selector labels', () => {
    const release = renderRelease(config(MONITORING), FIXED_SECRETS);
    expect(release.extras!.manifests.map((m) => `${m.kind} ${m.name}`)).toEqual(
      expect.arrayContaining(['PodMonitor jitsi-jvb-metrics', 'PodMonitor jitsi-jicofo-metrics', 'PrometheusRule jitsi-jitsi-alerts', 'ConfigMap jitsi-jitsi-capacity-dashboard']),
    );
    for (const m of release.extras!.manifests.filter((x) => x.kind === 'PodMonitor' || x.kind === 'PrometheusRule')) {
      expect((m.object.metadata as Any).labels.release).toBe('kps');
    }
    const jvb = release.extras!.manifests.find((m) => m.name === 'jitsi-jvb-metrics')!.object as Any;
    expect(jvb.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'jitsi', 'app.kubernetes.io/component': 'jvb' });
    expect(jvb.spec.podMetricsEndpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s' }]);
    const dashboard = release.extras!.manifests.find((m) => m.name === 'jitsi-jitsi-capacity-dashboard')!.object as Any;
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    const json = JSON.parse(dashboard.data['jitsi-k8s-capacity.json'] as string) as Any;
    expect(json.panels.map((p: Any) => p.title)).toEqual([expect.stringMatching(/^Participants vs capacity/), expect.stringMatching(/^Stress per bridge/), expect.stringMatching(/autoscaler/)]);
    const values = release.values as Any;
    expect(values.jvb.metrics).toEqual({ enabled: true, serviceMonitor: { enabled: true, selector: { release: 'kps' } }, grafanaDashboards: { enabled: true, labels: { grafana_dashboard: '1' } } });
    expect(values.prosody.metrics).toEqual({ enabled: true, serviceMonitor: { enabled: true, selector: { release: 'kps' } } });
  });

  it('has at least the five alerts of the issue, each with a summary and a runbook naming a jitsi-k8s command', () => {
    const rules = alertRules(config(autoscaled({ metric: 'stress' })));
    expect(rules.map((r) => r.alert)).toEqual(['JitsiBridgeStressHigh', 'JitsiBridgesAllBusy', 'JitsiBridgeNotReady', 'JitsiBridgeDrainOverdue', 'JitsiConferencesFailing', 'JitsiParticipantsFailing']);
    for (const r of rules) {
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      expect(r.annotations.runbook).toMatch(/`jitsi-k8s (status|scale|verify|bench)[^`]*`/);
    }
    // all busy = every bridge the autoscaler may run is over its target
    expect(rules[1]!.expr).toBe('count(jitsi_jvb_stress{namespace="jitsi",pod=~"jitsi-jitsi-meet-jvb-[0-9]+-.+"} > 0.6) >= 4');
    // the drain alert waits the drain deadline
    expect(alertRules(config({ ...MONITORING, components: { jvb: { drain: { timeout: '90m' } } } }))[3]!.for).toBe('1h30m');
  });

  it('the extras chart keeps the alerts\' and dashboard\'s {{ }} through real helm', async () => {
    const release = renderRelease(config(autoscaled({ metric: 'stress' })), FIXED_SECRETS);
    const dir = mkdtempSync(join(tmpdir(), 'jk8s-monitoring-'));
    dirs.push(dir);
    for (const [rel, content] of Object.entries(release.extras!.files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    const res = await run(helmBin(), ['template', 'jitsi-extras', dir, '-n', 'jitsi']);
    const rendered = parseAllDocuments(res.stdout).map((d) => d.toJS() as Any).filter(Boolean);
    for (const m of release.extras!.manifests) {
      const got = rendered.find((o) => o.kind === m.kind && o.metadata.name === m.name);
      expect(got, `${m.kind} ${m.name}`).toBeDefined();
      expect(got!.spec ?? got!.data).toEqual(m.object.spec ?? m.object.data);
    }
    const rule = rendered.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.spec.groups[0].rules[0].annotations.summary).toContain('{{ $labels.pod }}');
  });
});

describe('bridge autoscaling on a metric', () => {
  it('stress with KEDA: one ScaledObject per bridge Deployment, a Prometheus trigger on the summed stress, slow scale-in', () => {
    const release = renderRelease(config(autoscaled({ metric: 'stress' })), FIXED_SECRETS);
    const so = release.extras!.manifests.find((m) => m.kind === 'ScaledObject')!.object as Any;
    expect(release.extras!.manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(so.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'jitsi-jitsi-meet-jvb-0' });
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([2, 4]);
    expect(so.spec.triggers).toEqual([
      {
        type: 'prometheus',
        metricType: 'AverageValue',
        metadata: { serverAddress: PROM, query: 'sum(jitsi_jvb_stress{namespace="jitsi",pod=~"jitsi-jitsi-meet-jvb-[0-9]+-.+"})', threshold: '0.6' },
      },
    ]);
    expect(so.spec.advanced.horizontalPodAutoscalerConfig.name).toBe('jitsi-jitsi-meet-jvb-0');
    expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(600);
  });

  it('participants with an HPA on the custom metric', () => {
    const release = renderRelease(config(autoscaled({ metric: 'participants', engine: 'hpa', participantsTarget: 80 })), FIXED_SECRETS);
    const hpa = release.extras!.manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')!.object as Any;
    expect(hpa.spec.metrics).toEqual([{ type: 'Pods', pods: { metric: { name: 'jitsi_jvb_local_endpoints' }, target: { type: 'AverageValue', averageValue: '80' } } }]);
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(600);
  });

  it('config checks: a metric needs monitoring, KEDA needs the Prometheus URL, the target stays below jicofo\'s 0.8', () => {
    const issues = (o: Record<string, unknown>) => crossFieldIssues(configSchema.parse(input(o))).filter((i) => i.severity === 'error').map((i) => i.path);
    expect(issues({ ...HOSTPORT, components: { jvb: { autoscale: { enabled: true, metric: 'stress' } } } })).toContain('components.jvb.autoscale.metric');
    expect(issues({ ...HOSTPORT, monitoring: { enabled: true }, components: { jvb: { autoscale: { enabled: true, metric: 'stress' } } } })).toContain('monitoring.prometheusURL');
    expect(issues({ ...HOSTPORT, monitoring: { enabled: true }, components: { jvb: { autoscale: { enabled: true, metric: 'stress', engine: 'hpa' } } } })).toEqual([]);
    expect(configSchema.safeParse(input({ components: { jvb: { autoscale: { stressTarget: 0.8 } } } })).success).toBe(false);
    // behind a Service the refusal stays (docs/decisions.md)
    expect(issues({ ...MONITORING, components: { jvb: { autoscale: { enabled: true, metric: 'stress' } } } })).toContain('components.jvb.autoscale.enabled');
  });
});

describe('the real chart 3.4.0 with monitoring and autoscaling configs', () => {
  const configs: [string, Record<string, unknown>][] = [
    ['monitoring, loadBalancer', MONITORING],
    ['monitoring without dashboards', { monitoring: { ...MONITORING.monitoring, dashboards: false } }],
    ['cpu autoscaling + monitoring', autoscaled({ metric: 'cpu' })],
    ['stress via KEDA', autoscaled({ metric: 'stress' })],
    ['stress via HPA', autoscaled({ metric: 'stress', engine: 'hpa' })],
    ['participants via KEDA', autoscaled({ metric: 'participants' })],
  ];
  it.each(configs)('%s: the chart renders its exporter, ServiceMonitors and dashboards with our labels', async (_, overrides) => {
    const c = config(overrides);
    const objects = await template(fullValues(renderRelease(c, FIXED_SECRETS)));
    const ids = objects.map((o) => `${o.kind} ${o.metadata.name}`);
    expect(ids).toEqual(expect.arrayContaining(['ServiceMonitor jitsi-jitsi-meet-jvb', 'ServiceMonitor jitsi-jitsi-meet-prosody', 'Service jitsi-jitsi-meet-jvb-metrics']));
    // the chart's jicofo PodMonitor would carry no selector label: ours scrapes jicofo
    expect(ids).not.toContain('PodMonitor jitsi-jitsi-meet-jicofo');
    for (const sm of objects.filter((o) => o.kind === 'ServiceMonitor')) expect(sm.metadata.labels.release).toBe('kps');
    expect(ids.includes('ConfigMap jitsi-jitsi-meet-grafana-dashboards')).toBe(c.monitoring.dashboards);
    const bridge = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'jitsi-jitsi-meet-jvb-0')!;
    const containers = bridge.spec.template.spec.containers.map((x: Any) => x.name);
    expect(containers).toEqual(['jitsi-meet', 'metrics']);
    // the bridges' own /metrics our PodMonitor scrapes: the JVB container's port named http is 8080
    expect(bridge.spec.template.spec.containers[0].ports).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'http', containerPort: 8080 })]));
    const jicofo = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'jitsi-jitsi-meet-jicofo')!;
    expect(jicofo.spec.template.spec.containers[0].ports).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'http' })]));
    expect(jicofo.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'jitsi', 'app.kubernetes.io/component': 'jicofo' });
    expect(bridge.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': 'jitsi', 'app.kubernetes.io/component': 'jvb' });
  });
});
