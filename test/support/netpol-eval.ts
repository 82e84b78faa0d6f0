/**
 * A small evaluator of Kubernetes NetworkPolicies (networking.k8s.io/v1, ingress only), written from the
 * API reference for the tests: given the policies the API server stores, is a connection from a source
 * (a pod with namespace and labels, or a bare address) to a destination pod on a port allowed?
 * - a pod selected by no Ingress policy of its namespace accepts everything;
 * - else a connection is allowed when some selecting policy has a rule whose ports match (none = all
 *   ports; protocol defaults to TCP; endPort makes a range) and whose `from` matches (none or empty =
 *   every source): podSelector alone = pods of the policy's namespace; namespaceSelector alone = every
 *   pod of the selected namespaces; both = those pods of those namespaces; ipBlock = the source's
 *   address inside cidr and outside every except.
 * Named ports are not supported (our policies use numbers); an unsupported field throws.
 */
export type Labels = Record<string, string>;

export interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicy {
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: { from?: Peer[]; ports?: { port?: number | string; endPort?: number; protocol?: string }[] }[];
  };
}

export interface Endpoint {
  /** a pod: its namespace and labels */
  namespace?: string;
  labels?: Labels;
  /** its address (pods have one too; an address alone is a source outside the pod network) */
  ip?: string;
}

export function matches(sel: Selector | undefined, labels: Labels): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key]!)) return false;
  }
  return true;
}

function ipv4(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  return m ? m.slice(1).reduce((a, o) => a * 256 + Number(o), 0) : undefined;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const a = ipv4(ip);
  const b = ipv4(base!);
  if (a === undefined || b === undefined) {
    if (ip.includes(':') || base!.includes(':')) return ip === base && bits === '128';
    throw new Error(`not an address: ${ip} / ${cidr}`);
  }
  const n = Number(bits);
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size);
}

const nsLabels = (ns: string): Labels => ({ 'kubernetes.io/metadata.name': ns });

function peerMatches(peer: Peer, src: Endpoint, policyNs: string): boolean {
  if (peer.ipBlock) {
    if (!src.ip) return false;
    return inCidr(src.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(src.ip!, c));
  }
  if (src.namespace === undefined || src.labels === undefined) return false;
  if (peer.namespaceSelector) return matches(peer.namespaceSelector, nsLabels(src.namespace)) && matches(peer.podSelector, src.labels);
  if (peer.podSelector) return src.namespace === policyNs && matches(peer.podSelector, src.labels);
  throw new Error('a peer without podSelector, namespaceSelector or ipBlock');
}

export function allowed(policies: NetworkPolicy[], src: Endpoint, dst: Required<Pick<Endpoint, 'namespace' | 'labels'>>, port: number, protocol: 'TCP' | 'UDP'): boolean {
  const selecting = policies.filter(
    (p) => p.metadata.namespace === dst.namespace && (p.spec.policyTypes ?? ['Ingress']).includes('Ingress') && matches(p.spec.podSelector, dst.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (p.spec.ingress ?? []).some((rule) => {
      const portOk =
        !rule.ports ||
        rule.ports.length === 0 ||
        rule.ports.some((pp) => {
          if (typeof pp.port === 'string') throw new Error(`named port ${pp.port} in ${p.metadata.name}`);
          if ((pp.protocol ?? 'TCP') !== protocol) return false;
          if (pp.port === undefined) return true;
          return pp.endPort ? port >= pp.port && port <= pp.endPort : port === pp.port;
        });
      const fromOk = !rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, src, p.metadata.namespace));
      return portOk && fromOk;
    }),
  );
}
