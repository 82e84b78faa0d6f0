/**
 * Pod Security admission (per-namespace `pod-security.kubernetes.io/enforce` label): which pods of a
 * config a namespace refuses, from the config alone (pure). The table is what the real API server
 * decides for the pods chart jitsi-meet 3.4.0 and the extras chart render (test/k8s/pod-security-preflight.test.ts
 * dry-runs every pod template against baseline and restricted namespaces and compares):
 * - the chart's pods carry their own securityContext (non-root, no escalation, capabilities dropped,
 *   seccomp RuntimeDefault; coturn adds only NET_BIND_SERVICE): "restricted" admits them;
 * - a hostPort bridge (exposure.mode hostPort) is refused by "baseline" and "restricted" (hostPort);
 * - jitsi-k8s's own pods (keeper, Newt, bench workers) pass "restricted".
 */
import { EXPOSURE } from '../config/exposure.js';
import type { Config } from '../config/schema.js';

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** The level a namespace enforces (no label: privileged, as the API server treats it without a cluster-wide default). */
export function enforcedLevel(labels: Record<string, string> | undefined): PodSecurityLevel {
  const v = labels?.[ENFORCE_LABEL];
  return (POD_SECURITY_LEVELS as readonly string[]).includes(v ?? '') ? (v as PodSecurityLevel) : 'privileged';
}

export interface PodSecurityRefusal {
  /** the component whose pods the namespace refuses */
  component: string;
  /** the rule they break */
  why: string;
  /** what to change */
  fix: string;
}

/** The pods of this config a namespace enforcing `level` refuses (empty: every pod is admitted). */
export function podSecurityRefusals(config: Config, level: PodSecurityLevel): PodSecurityRefusal[] {
  if (level === 'privileged') return [];
  const out: PodSecurityRefusal[] = [];
  if (!EXPOSURE[config.exposure.mode].behindService) {
    out.push({
      component: 'jvb',
      why: `the bridges listen on hostPort ${config.exposure.udpPort}/udp, which "${level}" forbids`,
      fix: `choose an exposure mode behind a Service (exposure.mode: loadBalancer or nodePort), or let the namespace run it: kubectl label namespace ${config.cluster.namespace} ${ENFORCE_LABEL}=privileged --overwrite`,
    });
  }
  return out;
}

/**
 * The Tailscale operator's proxies (the pods that carry the tailnet to the web and the bridges) run in
 * the operator's namespace with a privileged init container (sysctl ip_forward) and NET_ADMIN
 * (kernel networking; tailscale/tailscale cmd/k8s-operator/deploy/manifests/proxy.yaml): only
 * "privileged" admits them. They are the operator's pods, not jitsi-k8s's.
 */
export function tailscaleProxyRefusals(namespace: string, level: PodSecurityLevel): PodSecurityRefusal[] {
  if (level === 'privileged') return [];
  return [
    {
      component: `the Tailscale operator's proxies (namespace ${namespace})`,
      why: `they run a privileged init container and add NET_ADMIN, which "${level}" forbids`,
      fix: `kubectl label namespace ${namespace} ${ENFORCE_LABEL}=privileged --overwrite (the proxies need it), or choose another exposure mode`,
    },
  ];
}
