/**
 * Preflight's judgement of monitoring and metric autoscaling (issue 23), pure: whether the Prometheus
 * operator's CRDs are there and which Prometheus selects the labels the config gives its monitors and rules,
 * and which autoscaling engine the bridges get and why.
 */
import type { Config } from '../config/schema.js';
import { autoscalerSummary } from '../render/monitoring.js';
import { MONITORING_API_GROUP, type PreflightFacts, type PrometheusFact, type SelectorFact } from './preflight-facts.js';

export const KEDA_API_GROUP = 'keda.sh';
export const CUSTOM_METRICS_API_GROUP = 'custom.metrics.k8s.io';

type Outcome = { verdict: 'ok' | 'warn' | 'fail'; message: string; hint?: string };

/** Whether a selector picks an object with these labels (absent picks nothing, as the operator reads it). */
export function selects(selector: SelectorFact | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In') return has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !has || !(e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    return false;
  });
  return byLabels && byExpressions;
}

/** The labels a Prometheus selects ServiceMonitors by, when they are plain labels (what the wizard offers). */
export function selectorLabels(p: PrometheusFact): Record<string, string> | undefined {
  const s = p.serviceMonitorSelector;
  if (!s || (s.matchExpressions ?? []).length > 0) return undefined;
  return s.matchLabels ?? {};
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '(any labels)';

const couldNotRead = (what: string, e: { message: string; hint?: string } | undefined): Outcome => ({ verdict: 'warn', message: `could not read ${what}: ${e?.message ?? 'unknown error'}`, hint: e?.hint });

export function monitoringCheck(facts: PreflightFacts, config: Config): Outcome {
  if (!facts.apiGroups) return couldNotRead('the API groups', facts.errors.apiGroups);
  const crds = facts.apiGroups.includes(MONITORING_API_GROUP);
  const m = config.monitoring;
  if (!m.enabled) {
    if (!crds) return { verdict: 'ok', message: `no Prometheus operator (${MONITORING_API_GROUP} is not served): no ServiceMonitor, PodMonitor, PrometheusRule or dashboard is rendered` };
    const found = (facts.prometheuses ?? []).map((p) => `${p.namespace}/${p.name} selects ${labelText(selectorLabels(p) ?? {})}`);
    return {
      verdict: 'ok',
      message: `the Prometheus operator is installed${found.length ? ` (${found.join('; ')})` : ''}; monitoring is off`,
      hint: 'monitoring.enabled: true adds metrics, alerting rules and dashboards (`jitsi-k8s init` asks)',
    };
  }
  if (!crds) {
    return {
      verdict: 'fail',
      message: `monitoring is on, but the Prometheus operator's CRDs are not installed (${MONITORING_API_GROUP} is not served): its ServiceMonitor, PodMonitor and PrometheusRule would be refused`,
      hint: 'install the Prometheus operator (e.g. the kube-prometheus-stack chart), or set monitoring.enabled: false',
    };
  }
  if (!facts.prometheuses) return couldNotRead('the Prometheus objects', facts.errors.prometheuses);
  const labels = m.labels;
  const picks = facts.prometheuses.filter((p) => selects(p.serviceMonitorSelector, labels) && selects(p.podMonitorSelector, labels) && selects(p.ruleSelector, labels));
  if (picks.length > 0) return { verdict: 'ok', message: `Prometheus ${picks.map((p) => `${p.namespace}/${p.name}`).join(', ')} selects the monitors and rules labelled ${labelText(labels)}` };
  const offers = facts.prometheuses.map((p) => selectorLabels(p)).filter((l): l is Record<string, string> => l !== undefined);
  return {
    verdict: 'warn',
    message:
      facts.prometheuses.length === 0
        ? `the Prometheus operator's CRDs are installed but no Prometheus runs: nothing will scrape the monitors labelled ${labelText(labels)}`
        : `no Prometheus selects monitors and rules labelled ${labelText(labels)} (${facts.prometheuses.map((p) => `${p.namespace}/${p.name} selects ${labelText(selectorLabels(p) ?? {})}`).join('; ')})`,
    hint: offers[0] ? `set monitoring.labels to ${JSON.stringify(offers[0])}` : 'create a Prometheus (kube-prometheus-stack) or set monitoring.labels to what yours selects',
  };
}

/** Which engine moves the bridges for this config, and whether the cluster runs it. */
export function autoscalerCheck(facts: PreflightFacts, config: Config): Outcome {
  if (!facts.apiGroups) return couldNotRead('the API groups', facts.errors.apiGroups);
  const a = config.components.jvb.autoscale;
  const keda = facts.apiGroups.includes(KEDA_API_GROUP);
  const custom = facts.apiGroups.includes(CUSTOM_METRICS_API_GROUP);
  if (a.metric === 'cpu') {
    const other = keda ? 'KEDA is installed: metric stress (with monitoring) would scale on what jicofo balances by' : custom ? 'a custom metrics API is served: metric stress with engine hpa would scale on what jicofo balances by' : undefined;
    return { verdict: 'ok', message: `${autoscalerSummary(config)} (metric cpu)${other ? `; ${other}` : ''}` };
  }
  const engine = a.engine ?? 'keda';
  if (engine === 'keda') {
    if (keda) return { verdict: 'ok', message: `${autoscalerSummary(config)}: ${KEDA_API_GROUP} is served (KEDA's CRDs); KEDA queries ${config.monitoring.prometheusURL}` };
    return {
      verdict: 'fail',
      message: `autoscale metric ${a.metric} with engine keda, but KEDA is not installed (${KEDA_API_GROUP} is not served)`,
      hint: custom ? `a custom metrics API is served (${CUSTOM_METRICS_API_GROUP}): set components.jvb.autoscale.engine: hpa` : 'install KEDA, or use components.jvb.autoscale.metric: cpu',
    };
  }
  if (custom) return { verdict: 'ok', message: `${autoscalerSummary(config)}: ${CUSTOM_METRICS_API_GROUP} is served (e.g. prometheus-adapter) — it must serve the pod metric` };
  return {
    verdict: 'fail',
    message: `autoscale metric ${a.metric} with engine hpa, but no custom metrics API is served (${CUSTOM_METRICS_API_GROUP})`,
    hint: keda ? 'KEDA is installed: set components.jvb.autoscale.engine: keda (and monitoring.prometheusURL)' : 'install prometheus-adapter or KEDA, or use components.jvb.autoscale.metric: cpu',
  };
}
