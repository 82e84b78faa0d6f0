/**
 * Where the NetworkPolicies let the cluster's Prometheus in from: the namespace the config names, else the one
 * in the Prometheus URL the wizard wrote (prometheus-operated.<namespace>.svc), else `monitoring`.
 */
import { describe, expect, it } from 'vitest';
import { monitoringNamespace, networkPolicies } from '../../src/render/network-policies.js';
import { config } from '../support/config.js';

describe('monitoringNamespace', () => {
  it('is absent while monitoring is off', () => {
    expect(monitoringNamespace(config({ monitoring: { enabled: false, namespace: 'obs' } }))).toBeUndefined();
  });
  it('takes monitoring.namespace first', () => {
    expect(monitoringNamespace(config({ monitoring: { enabled: true, namespace: 'obs', prometheusURL: 'http://prometheus-operated.kps.svc:9090' } }))).toBe(
      'obs',
    );
  });
  it('else the namespace of the Prometheus URL', () => {
    expect(monitoringNamespace(config({ monitoring: { enabled: true, prometheusURL: 'http://prometheus-operated.kps.svc:9090' } }))).toBe('kps');
  });
  it('else monitoring', () => {
    expect(monitoringNamespace(config({ monitoring: { enabled: true } }))).toBe('monitoring');
    expect(monitoringNamespace(config({ monitoring: { enabled: true, prometheusURL: 'http://10.0.0.5:9090' } }))).toBe('monitoring');
  });
  it('is the namespace the bridges policy lets scrape port 8080', () => {
    const policies = networkPolicies(
      config({ security: { networkPolicies: 'on' }, monitoring: { enabled: true, prometheusURL: 'http://prometheus-operated.kps.svc:9090' } }),
      false,
    );
    const text = JSON.stringify(policies);
    expect(text).toContain('"kubernetes.io/metadata.name":"kps"');
    expect(text).not.toContain('"kubernetes.io/metadata.name":"monitoring"');
  });
});
