/** The network plugin (CNI) a cluster runs, recognised from its system pods, and whether it enforces NetworkPolicies. */
import type { NodeFact, PodFact } from './preflight-facts.js';

interface CniSpec {
  title: string;
  /** a pod name prefix or a k8s-app label value seen in kube-system */
  pods: RegExp;
  networkPolicy: 'enforced' | 'not enforced' | 'depends';
  note?: string;
}

/** Order matters: Canal (Calico policy on Flannel) before Calico and Flannel. */
export const CNIS: Record<string, CniSpec> = {
  canal: { title: 'Canal', pods: /^canal/, networkPolicy: 'enforced' },
  cilium: { title: 'Cilium', pods: /^cilium(?!-operator)|^anetd/, networkPolicy: 'enforced' },
  calico: { title: 'Calico', pods: /^calico-node/, networkPolicy: 'enforced' },
  weave: { title: 'Weave Net', pods: /^weave-net/, networkPolicy: 'enforced' },
  'kube-router': { title: 'kube-router', pods: /^kube-router/, networkPolicy: 'enforced' },
  antrea: { title: 'Antrea', pods: /^antrea-agent/, networkPolicy: 'enforced' },
  'azure-npm': { title: 'Azure CNI with Azure NPM', pods: /^azure-npm/, networkPolicy: 'enforced' },
  'aws-vpc-cni': { title: 'Amazon VPC CNI', pods: /^aws-node/, networkPolicy: 'depends', note: 'only with the VPC CNI network policy agent enabled' },
  kindnet: { title: 'kindnet', pods: /^kindnet/, networkPolicy: 'depends', note: 'kindnet ≥ 1.0 enforces them, older releases do not' },
  flannel: { title: 'Flannel', pods: /^kube-flannel|^flannel/, networkPolicy: 'not enforced' },
  'ovn-kubernetes': { title: 'OVN-Kubernetes', pods: /^ovnkube-node/, networkPolicy: 'enforced' },
};

export interface CniDetection {
  key: string;
  title: string;
  networkPolicy: CniSpec['networkPolicy'];
  note?: string;
}

/** The CNI from kube-system pod names (or k8s-app labels); k3s (flannel built in, kube-router policy controller) from the kubelet version. */
export function detectCni(pods: PodFact[], nodes: NodeFact[] = []): CniDetection | undefined {
  for (const [key, spec] of Object.entries(CNIS)) {
    if (pods.some((p) => spec.pods.test(p.name) || spec.pods.test(p.labels['k8s-app'] ?? '') || spec.pods.test(p.labels['app'] ?? ''))) {
      return { key, title: spec.title, networkPolicy: spec.networkPolicy, note: spec.note };
    }
  }
  if (nodes.some((n) => /\+k3s/.test(n.kubeletVersion ?? ''))) {
    return { key: 'k3s-flannel', title: 'Flannel built into k3s', networkPolicy: 'enforced', note: "by k3s's embedded network policy controller" };
  }
  if (nodes.some((n) => /\+rke2/.test(n.kubeletVersion ?? ''))) {
    return { key: 'rke2', title: 'RKE2 default CNI (Canal)', networkPolicy: 'enforced' };
  }
  return undefined;
}
