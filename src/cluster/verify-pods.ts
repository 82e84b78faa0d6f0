/** verify's pods check: every essential component of the release has ready pods. */
import { toJvbPod } from './jvb.js';
import type { V1Pod } from './kube.js';
import type { VerifyCheck } from './verify-check.js';

/** What verify needs to know about a pod of the release. */
export interface PodView {
  name: string;
  component: string;
  ready: boolean;
  phase?: string;
  /** why a container waits (CrashLoopBackOff …) */
  reason?: string;
  podIP?: string;
  /** JVB_ADVERTISE_IPS of the pod, when set literally */
  advertiseIPs?: string[];
}

const ESSENTIAL = ['web', 'prosody', 'jicofo', 'jvb'];

export function podsCheck(pods: PodView[], ref: { namespace: string; release: string }): VerifyCheck {
  const base = { id: 'pods', title: 'pods ready' };
  if (pods.length === 0) {
    return { ...base, verdict: 'fail', message: `no pods of release ${ref.release} in namespace ${ref.namespace}`, hint: 'install with `jitsi-k8s apply`, or point --namespace / the config at the right release' };
  }
  const byComponent = new Map<string, PodView[]>();
  for (const p of pods) byComponent.set(p.component, [...(byComponent.get(p.component) ?? []), p]);
  const summary = [...byComponent.entries()].map(([c, ps]) => `${c} ${ps.filter((p) => p.ready).length}/${ps.length}`).join(', ');
  const missing = ESSENTIAL.filter((c) => !byComponent.has(c));
  const notReady = pods.filter((p) => !p.ready);
  const dead = [...byComponent.entries()].filter(([, ps]) => ps.every((p) => !p.ready)).map(([c]) => c);
  const details = { components: Object.fromEntries([...byComponent.entries()].map(([c, ps]) => [c, { ready: ps.filter((p) => p.ready).length, total: ps.length }])), notReady: notReady.map((p) => ({ name: p.name, phase: p.phase, reason: p.reason })) };
  const why = notReady.map((p) => `${p.name}${p.reason ? ` (${p.reason})` : p.phase ? ` (${p.phase})` : ''}`).join(', ');
  if (missing.length || dead.length) {
    return {
      ...base,
      verdict: 'fail',
      message: [missing.length ? `no ${missing.join(', ')} pod` : '', dead.length ? `nothing ready in ${dead.join(', ')}` : '', summary].filter(Boolean).join('; '),
      hint: notReady.length ? `look at ${why}: \`kubectl describe pod -n ${ref.namespace} <pod>\` and its logs` : 'the release looks incomplete: re-run `jitsi-k8s apply`',
      details,
    };
  }
  if (notReady.length) return { ...base, verdict: 'warn', message: `${summary}; not ready: ${why}`, hint: `\`kubectl describe pod -n ${ref.namespace} <pod>\``, details };
  return { ...base, verdict: 'ok', message: summary, details };
}

export function toPodView(pod: V1Pod): PodView {
  // readiness, waiting reason and JVB_ADVERTISE_IPS (literal or through the downward API) as the JVB discovery reads them
  const p = toJvbPod(pod);
  return {
    name: p.name,
    component: pod.metadata?.labels?.['app.kubernetes.io/component'] ?? 'unknown',
    ready: p.ready,
    ...(p.phase ? { phase: p.phase } : {}),
    ...(p.waitingReason ? { reason: p.waitingReason } : {}),
    ...(p.podIP ? { podIP: p.podIP } : {}),
    ...(p.advertiseIPs ? { advertiseIPs: p.advertiseIPs } : {}),
  };
}
