/**
 * Monitoring and metric autoscaling (issue 23), pure from the Config: the chart's own metric keys, our
 * PodMonitors for what the chart scrapes badly or not at all, the alerting rules, the capacity dashboard,
 * and the bridges' autoscaler on stress or participants (a KEDA ScaledObject or an HPA on a custom metric).
 *
 * Where the metrics come from:
 * - the bridges' own `/metrics` on their `http` port 8080 (`jitsi_jvb_*`: stress, local endpoints, graceful
 *   shutdown, failed conferences), through our PodMonitor: alerts and the autoscaler read these;
 * - the chart's exporter sidecar (`jvb.metrics`, `jitsi_*` on :9888) with the chart's ServiceMonitor and its
 *   two Grafana dashboards, which read those names;
 * - prosody: the chart's `prosody.metrics` (collector sidecar) and ServiceMonitor;
 * - jicofo: its own `/metrics` on its `http` port 8888 through our PodMonitor. The chart's `jicofo.metrics`
 *   PodMonitor carries no label a Prometheus could select it by (its template has no `selector` key), so it
 *   stays off.
 */
import { Document } from 'yaml';
import { formatDuration, parseDuration } from '../config/duration.js';
import { JICOFO_STRESS_THRESHOLD, type Config } from '../config/schema.js';
import { extrasLabels, manifest, type Manifest } from './manifest.js';
import { loadTemplateDocument } from './templates.js';
import { chartFullname, jvbDeploymentNames, type Values } from './values.js';

/** The label the Grafana sidecar (kube-prometheus-stack's default) picks dashboards by. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: '1' };

/** The Prometheus names the bridges' own `/metrics` serves (jitsi-videobridge since 2024). */
export const JVB_METRIC = {
  stress: 'jitsi_jvb_stress',
  participants: 'jitsi_jvb_local_endpoints',
  gracefulShutdown: 'jitsi_jvb_graceful_shutdown',
  failedConferences: 'jitsi_jvb_failed_conferences_total',
  partiallyFailedConferences: 'jitsi_jvb_partially_failed_conferences_total',
  dtlsFailed: 'jitsi_jvb_endpoints_dtls_failed_total',
} as const;

/** The series selector of this release's bridges: the namespace and the pods of its JVB Deployments. */
export function bridgeSelector(config: Config): string {
  return `namespace="${config.cluster.namespace}",pod=~"${chartFullname(config.cluster.release)}-jvb-[0-9]+-.+"`;
}

/** The chart's metric keys monitoring turns on (merged into the values). */
export function monitoringValues(config: Config): Values {
  const m = config.monitoring;
  if (!m.enabled) return {};
  return {
    jvb: {
      metrics: {
        enabled: true,
        serviceMonitor: { enabled: true, selector: m.labels },
        grafanaDashboards: { enabled: m.dashboards, labels: GRAFANA_DASHBOARD_LABEL },
      },
    },
    prosody: { metrics: { enabled: true, serviceMonitor: { enabled: true, selector: m.labels } } },
  };
}

const name = (config: Config, what: string) => `${config.cluster.release}-${what}`;

function podMonitor(config: Config, what: 'jvb' | 'jicofo'): Manifest {
  const doc = loadTemplateDocument('manifests/podmonitor.yaml');
  doc.setIn(['metadata', 'name'], name(config, `${what}-metrics`));
  doc.setIn(['metadata', 'namespace'], config.cluster.namespace);
  doc.setIn(['metadata', 'labels'], doc.createNode({ ...extrasLabels(config, `${what}-metrics`), ...config.monitoring.labels }));
  doc.setIn(
    ['spec', 'selector', 'matchLabels'],
    doc.createNode({ 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': config.cluster.release, 'app.kubernetes.io/component': what }),
  );
  doc.setIn(['spec', 'namespaceSelector', 'matchNames'], doc.createNode([config.cluster.namespace]));
  return manifest(`podmonitor-${what}.yaml`, doc);
}

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical' };
  annotations: { summary: string; description: string; runbook: string };
}

/** The most bridges the release may run: what "all bridges" means for the all-busy alert. */
function mostBridges(config: Config): number {
  const jvb = config.components.jvb;
  return jvb.autoscale.enabled ? jvb.autoscale.max : jvb.replicas;
}

/** The alerting rules, one group per release. Each names the jitsi-k8s command that helps. */
export function alertRules(config: Config): AlertRule[] {
  const sel = bridgeSelector(config);
  const jvb = config.components.jvb;
  const busy = jvb.autoscale.enabled && jvb.autoscale.metric === 'stress' ? jvb.autoscale.stressTarget : JICOFO_STRESS_THRESHOLD;
  const most = mostBridges(config);
  const drainSeconds = parseDuration(jvb.drain.timeout) ?? 3600;
  const scaleHint = jvb.autoscale.enabled
    ? `\`jitsi-k8s scale jvb --max ${most + 1}\` lets the autoscaler add bridges`
    : `\`jitsi-k8s scale jvb ${jvb.replicas + 1}\` adds a bridge`;
  return [
    {
      alert: 'JitsiBridgeStressHigh',
      expr: `max by (namespace, pod) (${JVB_METRIC.stress}{${sel}}) > ${JICOFO_STRESS_THRESHOLD}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `Bridge {{ $labels.pod }} is over jicofo's stress threshold ${JICOFO_STRESS_THRESHOLD} for 5 minutes`,
        description: 'jicofo places no new meeting on it; its meetings may lose quality (stress {{ $value }}).',
        runbook: `\`jitsi-k8s status\` shows each bridge's stress and participants; ${scaleHint}; \`jitsi-k8s bench\` measures what one bridge carries.`,
      },
    },
    {
      alert: 'JitsiBridgesAllBusy',
      expr: `count(${JVB_METRIC.stress}{${sel}} > ${busy}) >= ${most}`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `All ${most} bridges are over stress ${busy}${jvb.autoscale.enabled ? ' and the autoscaler is at its maximum' : ''}`,
        description: 'New meetings have nowhere good to go: the release needs more bridges than it may run.',
        runbook: `${scaleHint.charAt(0).toUpperCase()}${scaleHint.slice(1)} (add nodes first with hostPort); \`jitsi-k8s status\` shows the autoscaler's current and desired bridges.`,
      },
    },
    {
      alert: 'JitsiBridgeNotReady',
      expr: `max by (namespace, pod) (kube_pod_status_ready{${sel},condition="true"}) == 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Bridge {{ $labels.pod }} has not been Ready for 5 minutes',
        description: 'jicofo cannot use it (from kube-state-metrics).',
        runbook: '`jitsi-k8s status` shows the not-ready pods and their restarts; `jitsi-k8s verify` checks the bridges answer and media gets through.',
      },
    },
    {
      alert: 'JitsiBridgeDrainOverdue',
      expr: `max by (namespace, pod) (${JVB_METRIC.gracefulShutdown}{${sel}}) == 1`,
      for: formatDuration(drainSeconds),
      labels: { severity: 'warning' },
      annotations: {
        summary: `Bridge {{ $labels.pod }} is in graceful shutdown for longer than the drain deadline (${formatDuration(drainSeconds)})`,
        description: 'Its last meetings do not end; at the deadline they are cut.',
        runbook: `\`jitsi-k8s status\` shows the draining bridge and who is still on it; raise components.jvb.drain.timeout (\`jitsi-k8s scale jvb --drain-timeout\`) if meetings are longer.`,
      },
    },
    {
      alert: 'JitsiConferencesFailing',
      expr: `sum by (namespace, pod) (increase(${JVB_METRIC.failedConferences}{${sel}}[15m])) > 0`,
      for: '0s',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Conferences on bridge {{ $labels.pod }} failed in the last 15 minutes',
        description: 'In a failed conference no participant got media through (ICE failed for all): usually UDP not reaching the bridge.',
        runbook: '`jitsi-k8s verify` checks the media path (UDP port, advertised address, TURN) from outside.',
      },
    },
    {
      alert: 'JitsiParticipantsFailing',
      // either counter alone: a bridge that lacks one of them still alerts on the other
      expr: `(sum by (namespace, pod) (increase(${JVB_METRIC.partiallyFailedConferences}{${sel}}[15m])) > 0) or (sum by (namespace, pod) (increase(${JVB_METRIC.dtlsFailed}{${sel}}[15m])) > 0)`,
      for: '0s',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Participants on bridge {{ $labels.pod }} failed to connect in the last 15 minutes',
        description: 'Some participants of a conference never got media (ICE or DTLS failed): firewalls, a wrong advertised address, no TURN.',
        runbook: '`jitsi-k8s verify` checks the media path and TURN; `jitsi-k8s status` shows the advertised address.',
      },
    },
  ];
}

/** The PrometheusRule's spec: the same shape as a Prometheus rules file (what promtool checks). */
export function ruleGroups(config: Config): { groups: { name: string; rules: AlertRule[] }[] } {
  return { groups: [{ name: `jitsi-k8s.${config.cluster.namespace}.${config.cluster.release}`, rules: alertRules(config) }] };
}

function prometheusRule(config: Config): Manifest {
  const object = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: name(config, 'jitsi-alerts'),
      namespace: config.cluster.namespace,
      labels: { ...extrasLabels(config, 'alerts'), ...config.monitoring.labels },
    },
    spec: ruleGroups(config),
  };
  const doc = new Document(object);
  doc.commentBefore = ' Alerts for the bridges (jitsi-k8s); each annotation `runbook` names the jitsi-k8s command that helps.';
  return manifest('prometheusrule.yaml', doc);
}

/** What the capacity dashboard and the autoscaler count as one bridge's load. */
export function loadQuery(config: Config, metric: 'stress' | 'participants'): string {
  return `sum(${JVB_METRIC[metric]}{${bridgeSelector(config)}})`;
}

function capacityDashboard(config: Config): Manifest {
  const sel = bridgeSelector(config);
  const jvb = config.components.jvb;
  const ns = config.cluster.namespace;
  const perBridge = jvb.autoscale.participantsTarget;
  const panel = (id: number, title: string, y: number, targets: { expr: string; legendFormat: string }[], extra: Record<string, unknown> = {}) => ({
    id,
    type: 'timeseries',
    title,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 9, w: 24, x: 0, y },
    targets: targets.map((t, i) => ({ ...t, refId: String.fromCharCode(65 + i) })),
    ...extra,
  });
  const dashboard = {
    title: `Jitsi capacity (${ns}/${config.cluster.release})`,
    uid: `jitsi-k8s-capacity-${ns}-${config.cluster.release}`.slice(0, 40),
    tags: ['jitsi', 'jitsi-k8s'],
    timezone: 'browser',
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' }] },
    panels: [
      panel(1, `Participants vs capacity (${perBridge} per bridge: components.jvb.autoscale.participantsTarget, from jitsi-k8s bench)`, 0, [
        { expr: `sum(${JVB_METRIC.participants}{${sel}})`, legendFormat: 'participants' },
        { expr: `count(${JVB_METRIC.stress}{${sel}}) * ${perBridge}`, legendFormat: 'capacity of the running bridges' },
        { expr: `vector(${mostBridges(config) * perBridge})`, legendFormat: 'capacity at the most bridges' },
      ]),
      panel(
        2,
        `Stress per bridge (jicofo avoids a bridge over ${JICOFO_STRESS_THRESHOLD})`,
        9,
        [{ expr: `max by (pod) (${JVB_METRIC.stress}{${sel}})`, legendFormat: '{{pod}}' }],
        {
          fieldConfig: {
            defaults: {
              min: 0,
              thresholds: {
                mode: 'absolute',
                steps: [
                  { color: 'green', value: null },
                  { color: 'orange', value: jvb.autoscale.stressTarget },
                  { color: 'red', value: JICOFO_STRESS_THRESHOLD },
                ],
              },
              custom: { thresholdsStyle: { mode: 'line' } },
            },
          },
        },
      ),
      panel(3, 'Bridges: running, autoscaler current / desired / max', 18, [
        { expr: `count(${JVB_METRIC.stress}{${sel}})`, legendFormat: 'bridges reporting' },
        {
          expr: `sum(kube_horizontalpodautoscaler_status_current_replicas{namespace="${ns}",horizontalpodautoscaler=~"${chartFullname(config.cluster.release)}-jvb-.+"})`,
          legendFormat: 'current',
        },
        {
          expr: `sum(kube_horizontalpodautoscaler_status_desired_replicas{namespace="${ns}",horizontalpodautoscaler=~"${chartFullname(config.cluster.release)}-jvb-.+"})`,
          legendFormat: 'desired',
        },
        {
          expr: `sum(kube_horizontalpodautoscaler_spec_max_replicas{namespace="${ns}",horizontalpodautoscaler=~"${chartFullname(config.cluster.release)}-jvb-.+"})`,
          legendFormat: 'max',
        },
      ]),
    ],
  };
  const object = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: name(config, 'jitsi-capacity-dashboard'), namespace: ns, labels: { ...extrasLabels(config, 'dashboard'), ...GRAFANA_DASHBOARD_LABEL } },
    data: { 'jitsi-k8s-capacity.json': `${JSON.stringify(dashboard, null, 2)}\n` },
  };
  return manifest('dashboard-capacity.yaml', new Document(object));
}

/** ServiceMonitor/PodMonitor, PrometheusRule and dashboards: nothing unless monitoring is on. */
export function monitoringManifests(config: Config): Manifest[] {
  if (!config.monitoring.enabled) return [];
  return [
    podMonitor(config, 'jvb'),
    podMonitor(config, 'jicofo'),
    prometheusRule(config),
    ...(config.monitoring.dashboards ? [capacityDashboard(config)] : []),
  ];
}

/** How the bridges' autoscaler works for this config, in a sentence (notes, preflight). */
export function autoscalerSummary(config: Config): string {
  const a = config.components.jvb.autoscale;
  if (a.metric === 'cpu') return `an HPA at ${a.cpuPercent}% CPU of the request`;
  const target = a.metric === 'stress' ? `average stress ${a.stressTarget} per bridge` : `${a.participantsTarget} participants per bridge`;
  return a.engine === 'hpa' ? `an HPA on the custom metric ${JVB_METRIC[a.metric]} at ${target}` : `a KEDA ScaledObject (Prometheus trigger) at ${target}`;
}

/** The autoscaler's target value per bridge, as the HPA/KEDA quantity. */
function targetValue(config: Config): string {
  const a = config.components.jvb.autoscale;
  return a.metric === 'stress' ? `${Math.round(a.stressTarget * 1000)}m` : String(a.participantsTarget);
}

/** The HPA of one bridge Deployment (manifests/jvb-hpa.yaml: slow scale-in) with its name, target and bounds; the caller sets the metric. */
export function jvbHpa(config: Config, deployment: string): ReturnType<typeof loadTemplateDocument> {
  const a = config.components.jvb.autoscale;
  const hpa = loadTemplateDocument('manifests/jvb-hpa.yaml');
  hpa.setIn(['metadata', 'name'], deployment);
  hpa.setIn(['metadata', 'namespace'], config.cluster.namespace);
  hpa.setIn(['metadata', 'labels'], hpa.createNode(extrasLabels(config, 'jvb-autoscaler')));
  hpa.setIn(['spec', 'scaleTargetRef', 'name'], deployment);
  hpa.setIn(['spec', 'minReplicas'], a.min);
  hpa.setIn(['spec', 'maxReplicas'], a.max);
  return hpa;
}

/** The bridges' autoscaler for metric stress/participants: a KEDA ScaledObject, or an HPA on a custom (pod) metric. */
export function metricAutoscalers(config: Config): Manifest[] {
  const a = config.components.jvb.autoscale;
  if (!a.enabled || a.metric === 'cpu') return [];
  const metric = a.metric;
  return jvbDeploymentNames(config).map((deployment) => {
    const hpa = jvbHpa(config, deployment);
    const behavior = hpa.getIn(['spec', 'behavior']);
    if (a.engine === 'hpa') {
      hpa.setIn(
        ['spec', 'metrics'],
        hpa.createNode([{ type: 'Pods', pods: { metric: { name: JVB_METRIC[metric] }, target: { type: 'AverageValue', averageValue: targetValue(config) } } }]),
      );
      hpa.commentBefore = ` Autoscaler for one JVB Deployment on the custom metric ${JVB_METRIC[metric]} (a custom metrics API such as prometheus-adapter serves it from Prometheus).`;
      return manifest(`hpa-${deployment}.yaml`, hpa);
    }
    const doc = loadTemplateDocument('manifests/jvb-scaledobject.yaml');
    doc.setIn(['metadata', 'name'], deployment);
    doc.setIn(['metadata', 'namespace'], config.cluster.namespace);
    doc.setIn(['metadata', 'labels'], doc.createNode(extrasLabels(config, 'jvb-autoscaler')));
    doc.setIn(['spec', 'scaleTargetRef', 'name'], deployment);
    doc.setIn(['spec', 'minReplicaCount'], a.min);
    doc.setIn(['spec', 'maxReplicaCount'], a.max);
    // KEDA's HPA gets the Deployment's name (not keda-hpa-…), so status and the alerts find it as they find ours
    doc.setIn(['spec', 'advanced', 'horizontalPodAutoscalerConfig', 'name'], deployment);
    doc.setIn(['spec', 'advanced', 'horizontalPodAutoscalerConfig', 'behavior'], behavior);
    doc.setIn(['spec', 'triggers', 0, 'metadata', 'serverAddress'], config.monitoring.prometheusURL ?? '');
    doc.setIn(['spec', 'triggers', 0, 'metadata', 'query'], loadQuery(config, metric));
    doc.setIn(['spec', 'triggers', 0, 'metadata', 'threshold'], metric === 'stress' ? String(a.stressTarget) : String(a.participantsTarget));
    return manifest(`scaledobject-${deployment}.yaml`, doc);
  });
}
