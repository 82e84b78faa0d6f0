/**
 * `verify --security`: what the installation exposes to whom, read from the cluster (the release's
 * Services and Ingresses, the namespace's NetworkPolicies and Pod Security label, the CNI, the
 * config's auth mode when it has one), one row per exposure with ✓ (as intended), ‼ (works, but
 * open wider than needed) or × (a private port open to everyone) and the fix — the way
 * `linkerd check` reports. Read-only. `judgeSecurity` is pure over the facts `readSecurityFacts` gathers.
 */
import { EXPOSURE } from '../config/exposure.js';
import type { Config } from '../config/schema.js';
import { detectCni } from './cni.js';
import type { Kube } from './kube.js';
import { ENFORCE_LABEL, enforcedLevel, podSecurityRefusals } from './pod-security.js';

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface PolicyFact {
  name: string;
  podSelector: Selector;
  policyTypes: string[];
  ingress: { from?: Peer[]; ports?: { port?: number | string; endPort?: number; protocol?: string }[] }[];
}
export interface ServiceFact {
  name: string;
  type: string;
  component?: string;
  ports: { port: number; protocol: string; nodePort?: number }[];
}
export interface IngressFact {
  name: string;
  hosts: string[];
  tls: boolean;
  className?: string;
}

export interface SecurityFacts {
  namespace: string;
  release: string;
  namespaceLabels?: Labels;
  services: ServiceFact[];
  ingresses: IngressFact[];
  policies: PolicyFact[];
  /** names (and k8s-app labels) of kube-system pods, to recognise the CNI */
  systemPods?: { name: string; namespace: string; labels: Labels; images: string[] }[];
  /** pods of the release that use hostPort: component → ports */
  hostPorts: { component: string; port: number; protocol: string }[];
}

/** ✓ as intended, ‼ open wider than needed, × a private port open to everyone */
export type Mark = 'ok' | 'warn' | 'fail';

export interface SecurityRow {
  id: string;
  /** what is exposed */
  what: string;
  /** to whom */
  openTo: string;
  mark: Mark;
  fix?: string;
}

export interface SecurityReport {
  namespace: string;
  release: string;
  rows: SecurityRow[];
  counts: Record<Mark, number>;
  /** no row is × */
  ok: boolean;
}

const matchesLabels = (sel: Selector, labels: Labels): boolean =>
  Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (sel.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    if (e.operator === 'In') return has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !has || !(e.values ?? []).includes(labels[e.key]!);
    return false;
  });

const selectorText = (s: Selector | undefined): string => {
  const parts = Object.entries(s?.matchLabels ?? {}).map(([k, v]) => `${k.replace(/^app\.kubernetes\.io\//, '')}=${v}`);
  for (const e of s?.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values ? ` (${e.values.join(', ')})` : ''}`);
  return parts.join(',');
};

function peerText(p: Peer, release: string): string {
  if (p.ipBlock) return p.ipBlock.cidr === '0.0.0.0/0' || p.ipBlock.cidr === '::/0' ? 'anywhere' : p.ipBlock.cidr;
  const ns = p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  const pods = p.podSelector ? selectorText(p.podSelector) : '';
  const component = p.podSelector?.matchLabels?.['app.kubernetes.io/component'];
  const own = p.podSelector?.matchLabels?.['app.kubernetes.io/instance'] === release || p.podSelector?.matchLabels?.['jitsi-k8s/release'] === release;
  if (!p.namespaceSelector) return own && component ? component : own ? `the release's pods` : `pods ${pods || '(all)'}`;
  const where = ns ? `namespace ${ns}` : `namespaces ${selectorText(p.namespaceSelector) || '(all)'}`;
  return pods ? `${where} (${pods})` : where;
}

/**
 * Who reaches the pods with these labels on this port, by the policies: undefined when no policy
 * isolates them (any pod in the cluster, and whatever is routed to the pod network); [] when nothing
 * may; ['anywhere'] when a rule lets every source in.
 */
export function whoReaches(policies: PolicyFact[], release: string, labels: Labels, port: number, protocol: 'TCP' | 'UDP'): string[] | undefined {
  const selecting = policies.filter((p) => p.policyTypes.includes('Ingress') && matchesLabels(p.podSelector, labels));
  if (selecting.length === 0) return undefined;
  const out = new Set<string>();
  for (const p of selecting) {
    for (const rule of p.ingress) {
      const portOk =
        !rule.ports?.length ||
        rule.ports.some((r) => (r.protocol ?? 'TCP') === protocol && (r.port === undefined || (typeof r.port === 'number' && (r.endPort ? port >= r.port && port <= r.endPort : port === r.port))));
      if (!portOk) continue;
      if (!rule.from?.length) out.add('anywhere');
      else for (const peer of rule.from) out.add(peerText(peer, release));
    }
  }
  return out.has('anywhere') ? ['anywhere'] : [...out];
}

const chartPods = (release: string, component: string): Labels => ({ 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': release, 'app.kubernetes.io/component': component });

/** The ports a component keeps private: open to everyone is a ×, unisolated a ‼. */
const PRIVATE: { component: string; port: number; what: string }[] = [
  { component: 'jvb', port: 8080, what: 'bridge REST API (drain, shutdown, stats)' },
  { component: 'prosody', port: 5222, what: 'prosody XMPP client port' },
  { component: 'prosody', port: 5347, what: 'prosody component port' },
  { component: 'jicofo', port: 8888, what: 'jicofo REST API' },
];

/** The rows of the report; pure. `config` is the deployment's, for what it means to expose (exposure mode, auth). */
export function judgeSecurity(facts: SecurityFacts, config: Config): SecurityReport {
  const rows: SecurityRow[] = [];
  const { namespace: ns, release } = facts;
  const policiesFix = 'set security.networkPolicies: on in jitsi-k8s.yaml and run jitsi-k8s apply';

  // Pod Security
  const level = enforcedLevel(facts.namespaceLabels);
  const refused = podSecurityRefusals(config, level);
  const strongest = podSecurityRefusals(config, 'restricted').length === 0 ? 'restricted' : podSecurityRefusals(config, 'baseline').length === 0 ? 'baseline' : 'privileged';
  rows.push({
    id: 'pod-security',
    what: `Pod Security of namespace ${ns}`,
    openTo: facts.namespaceLabels?.[ENFORCE_LABEL] ? `enforces "${level}"` : 'no enforce label: any pod, privileged ones too',
    mark: refused.length > 0 ? 'fail' : level === 'privileged' && strongest !== 'privileged' ? 'warn' : 'ok',
    ...(refused.length > 0
      ? { fix: refused.map((r) => r.fix).join('; ') }
      : level === 'privileged' && strongest !== 'privileged'
        ? { fix: `kubectl label namespace ${ns} ${ENFORCE_LABEL}=${strongest} (every pod of this config passes "${strongest}")` }
        : {}),
  });

  // NetworkPolicies and whether anything enforces them
  const defaultDeny = facts.policies.some((p) => p.policyTypes.includes('Ingress') && Object.keys(p.podSelector.matchLabels ?? {}).length === 0 && !p.podSelector.matchExpressions?.length && p.ingress.length === 0);
  const cni = facts.systemPods ? detectCni(facts.systemPods) : undefined;
  const enforcedBy = cni ? `${cni.title} (${cni.networkPolicy})` : 'a CNI jitsi-k8s does not recognise';
  rows.push({
    id: 'network-policies',
    what: `NetworkPolicies in ${ns}`,
    openTo: facts.policies.length === 0 ? 'none: every pod in the cluster reaches every port' : `${facts.policies.length} polic${facts.policies.length === 1 ? 'y' : 'ies'}${defaultDeny ? ', default deny' : ', no default deny'}; enforced by ${enforcedBy}`,
    mark: facts.policies.length === 0 || !defaultDeny || cni?.networkPolicy === 'not enforced' || !cni ? 'warn' : 'ok',
    ...(facts.policies.length === 0 || !defaultDeny
      ? { fix: policiesFix }
      : cni?.networkPolicy === 'not enforced' || !cni
        ? { fix: `make sure the CNI enforces NetworkPolicies (${cni ? `${cni.title} ignores them; Calico or Cilium enforce them` : 'check its documentation'})` }
        : {}),
  });

  // Services: what leaves the cluster
  for (const s of facts.services) {
    const outside = s.type === 'LoadBalancer' || s.type === 'NodePort';
    const ports = s.ports.map((p) => `${p.port}/${p.protocol}${p.nodePort && s.type === 'NodePort' ? ` (node port ${p.nodePort})` : ''}`).join(', ');
    const media = s.component === 'jvb' && s.ports.every((p) => p.protocol === 'UDP');
    const turn = s.component === 'coturn';
    const intended = !outside || media || turn;
    rows.push({
      id: `service:${s.name}`,
      what: `Service ${s.name} (${s.type}) ${ports}`,
      openTo: outside ? (s.type === 'LoadBalancer' ? "whoever reaches the load balancer's address" : "whoever reaches a node's address") : 'the cluster only',
      mark: intended ? 'ok' : 'fail',
      ...(intended ? {} : { fix: `only the bridges' UDP media and TURN need to leave the cluster: make ${s.name} a ClusterIP Service` }),
    });
  }
  for (const h of facts.hostPorts) {
    rows.push({ id: `hostport:${h.component}:${h.port}`, what: `${h.component} hostPort ${h.port}/${h.protocol}`, openTo: "whoever reaches a node's address", mark: h.component === 'jvb' && h.protocol === 'UDP' ? 'ok' : 'fail' });
  }
  for (const i of facts.ingresses) {
    rows.push({
      id: `ingress:${i.name}`,
      what: `Ingress ${i.name} ${i.hosts.join(', ')}${i.className ? ` (class ${i.className})` : ''}`,
      openTo: `whoever reaches the ingress controller, ${i.tls ? 'over HTTPS' : 'over plain HTTP'}`,
      mark: i.tls ? 'ok' : 'warn',
      ...(i.tls ? {} : { fix: 'tls.mode letsencrypt or secret gives the Ingress a certificate' }),
    });
  }

  // inside the cluster: media and the private ports, by the policies
  const media = whoReaches(facts.policies, release, chartPods(release, 'jvb'), config.exposure.udpPort, 'UDP');
  rows.push({
    id: 'jvb-media',
    what: `bridge media UDP ${config.exposure.udpPort}${EXPOSURE[config.exposure.mode].behindService && config.components.jvb.replicas > 1 ? `-${config.exposure.udpPort + config.components.jvb.replicas - 1}` : ''}`,
    openTo: media === undefined ? 'anywhere (no policy)' : media.length ? media.join(', ') : 'nobody',
    mark: media !== undefined && !media.includes('anywhere') ? 'fail' : 'ok',
    ...(media !== undefined && !media.includes('anywhere') ? { fix: 'clients send media from anywhere: let UDP to the bridges in from every source' } : {}),
  });
  const channel = whoReaches(facts.policies, release, chartPods(release, 'jvb'), 9090, 'TCP');
  rows.push({
    id: 'jvb-channel',
    what: 'bridge channel (colibri WebSocket), 9090/TCP',
    openTo: channel === undefined ? 'any pod in the cluster (no policy)' : channel.length ? channel.join(', ') : 'nobody',
    mark: channel === undefined ? 'warn' : channel.length === 0 ? 'fail' : channel.includes('anywhere') ? 'warn' : 'ok',
    ...(channel === undefined
      ? { fix: policiesFix }
      : channel.length === 0
        ? { fix: 'browsers open the bridge channel through the site: let the web pods reach the bridges on 9090' }
        : channel.includes('anywhere')
          ? { fix: 'only the web (which proxies /colibri-ws/) needs the bridges on 9090' }
          : {}),
  });
  const web = whoReaches(facts.policies, release, chartPods(release, 'web'), 8000, 'TCP');
  rows.push({
    id: 'web',
    what: 'web (nginx, port 8000)',
    openTo: web === undefined ? 'any pod in the cluster (no policy)' : web.length ? web.join(', ') : 'nobody',
    mark: web === undefined ? 'warn' : web.length === 0 ? 'fail' : 'ok',
    ...(web === undefined ? { fix: policiesFix } : web.length === 0 ? { fix: 'nothing may reach the site: check security.ingressNamespaces' } : {}),
  });
  for (const p of PRIVATE) {
    const who = whoReaches(facts.policies, release, chartPods(release, p.component), p.port, 'TCP');
    rows.push({
      id: `private:${p.component}:${p.port}`,
      what: `${p.what}, ${p.port}/TCP`,
      openTo: who === undefined ? 'any pod in the cluster (no policy)' : who.length ? who.join(', ') : 'nobody',
      mark: who === undefined ? 'warn' : who.includes('anywhere') ? 'fail' : 'ok',
      ...(who === undefined ? { fix: policiesFix } : who.includes('anywhere') ? { fix: `a policy lets everyone reach ${p.component}:${p.port}: remove that rule` } : {}),
    });
  }

  // who may start a meeting (another part of the config; shown when the config has it)
  const auth = (config as { auth?: { mode?: string } }).auth?.mode;
  if (auth) {
    rows.push({
      id: 'auth',
      what: 'who may open a meeting',
      openTo: auth === 'none' || auth === 'open' ? 'anyone who reaches the site' : `users authenticated by ${auth}`,
      mark: auth === 'none' || auth === 'open' ? 'warn' : 'ok',
      ...(auth === 'none' || auth === 'open' ? { fix: 'turn on authentication (auth.mode) so strangers cannot use the bridges' } : {}),
    });
  }
  const counts: Record<Mark, number> = { ok: 0, warn: 0, fail: 0 };
  for (const r of rows) counts[r.mark]++;
  return { namespace: ns, release, rows, counts, ok: counts.fail === 0 };
}

type Obj = { metadata?: { name?: string; labels?: Labels }; spec?: Record<string, unknown> };

/** Reads what the report judges: the namespace, the release's Services, Ingresses and pods, the namespace's policies, kube-system's pods. */
export async function readSecurityFacts(kube: Kube, namespace: string, release: string): Promise<SecurityFacts> {
  const ns = encodeURIComponent(namespace);
  const selector = encodeURIComponent(`app.kubernetes.io/instance=${release}`);
  const nsRes = await kube.request('GET', `/api/v1/namespaces/${ns}`);
  const namespaceLabels = nsRes.status === 200 ? ((JSON.parse(nsRes.body) as Obj).metadata?.labels ?? {}) : undefined;
  const [services, ingresses, policies, pods, systemPods] = await Promise.all([
    kube.services(namespace, `app.kubernetes.io/instance=${release}`),
    kube.getJson<{ items: Obj[] }>(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses?labelSelector=${selector}`),
    kube.getJson<{ items: Obj[] }>(`/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`),
    kube.pods(namespace, `app.kubernetes.io/instance=${release}`),
    kube.pods('kube-system').catch(() => undefined),
  ]);
  const hostPorts = new Map<string, { component: string; port: number; protocol: string }>();
  for (const p of pods) {
    for (const c of p.spec?.containers ?? []) {
      for (const port of c.ports ?? []) {
        if (!port.hostPort) continue;
        const component = p.metadata?.labels?.['app.kubernetes.io/component'] ?? '?';
        hostPorts.set(`${component}:${port.hostPort}/${port.protocol ?? 'TCP'}`, { component, port: port.hostPort, protocol: port.protocol ?? 'TCP' });
      }
    }
  }
  return {
    namespace,
    release,
    namespaceLabels,
    services: services.map((s) => ({
      name: s.metadata?.name ?? '?',
      type: s.spec?.type ?? 'ClusterIP',
      component: s.metadata?.labels?.['app.kubernetes.io/component'],
      ports: (s.spec?.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP', ...(p.nodePort ? { nodePort: p.nodePort } : {}) })),
    })),
    ingresses: ingresses.items.map((i) => {
      const spec = i.spec as { rules?: { host?: string }[]; tls?: unknown[]; ingressClassName?: string };
      return { name: i.metadata?.name ?? '?', hosts: (spec.rules ?? []).map((r) => r.host ?? '*'), tls: (spec.tls ?? []).length > 0, ...(spec.ingressClassName ? { className: spec.ingressClassName } : {}) };
    }),
    policies: policies.items.map((p) => {
      const spec = p.spec as { podSelector?: Selector; policyTypes?: string[]; ingress?: PolicyFact['ingress'] };
      return { name: p.metadata?.name ?? '?', podSelector: spec.podSelector ?? {}, policyTypes: spec.policyTypes ?? ['Ingress'], ingress: spec.ingress ?? [] };
    }),
    systemPods: systemPods?.map((p) => ({ name: p.metadata?.name ?? '?', namespace: 'kube-system', labels: p.metadata?.labels ?? {}, images: [] })),
    hostPorts: [...hostPorts.values()],
  };
}
