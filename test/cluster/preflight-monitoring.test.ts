/** Preflight's monitoring and autoscaler checks, judged from facts (the real API server's side is in test/k8s/monitoring.test.ts). */
import { describe, expect, it } from 'vitest';
import { autoscalerCheck, monitoringCheck, selects } from '../../src/cluster/preflight-monitoring.js';
import type { PreflightFacts, PrometheusFact } from '../../src/cluster/preflight-facts.js';
import { config } from '../support/config.js';

const KPS: PrometheusFact = {
  namespace: 'monitoring',
  name: 'kps-prometheus',
  serviceMonitorSelector: { matchLabels: { release: 'kps' } },
  podMonitorSelector: { matchLabels: { release: 'kps' } },
  ruleSelector: { matchLabels: { release: 'kps' } },
};
const facts = (apiGroups: string[], prometheuses?: PrometheusFact[]): PreflightFacts => ({ context: 'c', currentContext: 'c', server: 's', apiGroups, prometheuses, errors: {} });
const PROM = 'http://prometheus-operated.monitoring.svc:9090';
const on = (labels: Record<string, string>) => config({ monitoring: { enabled: true, labels } });
const scaled = (autoscale: Record<string, unknown>) =>
  config({ nodes: { count: 4 }, exposure: { mode: 'hostPort' }, monitoring: { enabled: true, prometheusURL: PROM }, components: { jvb: { autoscale: { enabled: true, ...autoscale } } } });

describe('monitoring check', () => {
  it('without the CRDs: nothing is rendered (ok when off, fail when on)', () => {
    expect(monitoringCheck(facts([]), config())).toMatchObject({ verdict: 'ok', message: expect.stringContaining('no ServiceMonitor, PodMonitor, PrometheusRule or dashboard is rendered') });
    expect(monitoringCheck(facts([]), on({ release: 'kps' }))).toMatchObject({ verdict: 'fail', hint: expect.stringContaining('monitoring.enabled: false') });
  });

  it('names the Prometheus that selects the labels, or the labels to use instead', () => {
    expect(monitoringCheck(facts(['monitoring.coreos.com'], [KPS]), on({ release: 'kps' }))).toEqual({
      verdict: 'ok',
      message: 'Prometheus monitoring/kps-prometheus selects the monitors and rules labelled release=kps',
    });
    expect(monitoringCheck(facts(['monitoring.coreos.com'], [KPS]), on({ release: 'prometheus-operator' }))).toMatchObject({ verdict: 'warn', hint: 'set monitoring.labels to {"release":"kps"}' });
    expect(monitoringCheck(facts(['monitoring.coreos.com'], [KPS]), config())).toMatchObject({ verdict: 'ok', message: expect.stringContaining('monitoring/kps-prometheus selects release=kps') });
  });

  it('reads selectors as the operator does: absent selects nothing, {} everything', () => {
    expect(selects(undefined, { release: 'x' })).toBe(false);
    expect(selects({}, { release: 'x' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'release', operator: 'In', values: ['x', 'y'] }] }, { release: 'x' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'release', operator: 'NotIn', values: ['x'] }] }, { release: 'x' })).toBe(false);
  });
});

describe('autoscaler check: which engine and why', () => {
  it('cpu: an HPA, and says when a metric engine is there', () => {
    expect(autoscalerCheck(facts(['keda.sh']), scaled({ metric: 'cpu' }))).toMatchObject({ verdict: 'ok', message: expect.stringContaining('KEDA is installed') });
  });
  it('stress with KEDA when keda.sh is served; refused otherwise with the engine that is there', () => {
    expect(autoscalerCheck(facts(['keda.sh']), scaled({ metric: 'stress' }))).toMatchObject({ verdict: 'ok', message: expect.stringContaining('a KEDA ScaledObject') });
    expect(autoscalerCheck(facts(['custom.metrics.k8s.io']), scaled({ metric: 'stress' }))).toMatchObject({ verdict: 'fail', hint: expect.stringContaining('engine: hpa') });
    expect(autoscalerCheck(facts(['custom.metrics.k8s.io']), scaled({ metric: 'participants', engine: 'hpa' }))).toMatchObject({ verdict: 'ok', message: expect.stringContaining('custom metric jitsi_jvb_local_endpoints') });
    expect(autoscalerCheck(facts([]), scaled({ metric: 'participants', engine: 'hpa' }))).toMatchObject({ verdict: 'fail' });
  });
});
