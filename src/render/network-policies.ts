/**
 * NetworkPolicies for the release namespace (security.networkPolicies): a default deny of ingress,
 * then one policy per component allowing only what Jitsi needs (docs/decisions.md "NetworkPolicies"):
 * - web (port 8000) from the ingress controller's namespaces when the chart's Ingress serves it, from
 *   the Tailscale operator's proxies (tailscale), from Newt (pangolin), from anywhere when nothing
 *   in the cluster fronts it (tls.mode none: the operator's own proxy);
 * - the bridges' media ports (UDP) from anywhere; their colibri WebSocket (9090, the bridge channel)
 *   from the web, which proxies /colibri-ws/; their private HTTP port 8080 (REST, /colibri/stats,
 *   drain, /metrics) from jicofo, prosody, the deletion-cost keeper, the monitoring namespace, and the
 *   API server's pod proxy (status, verify, bench, drain): the addresses of the API server's hosts,
 *   which helm looks up at install (templates/manifests/netpol-api-server.yaml);
 * - prosody's XMPP, component and BOSH ports from the release's own pods;
 * - coturn's TURN ports from where clients come in this exposure mode, its relay ports from the bridges;
 * - jicofo's REST port from the web (it proxies /conference-request/v1) and monitoring; nothing else is let in (kubelet probes
 *   come from the pod's own node, which NetworkPolicies always allow).
 * Egress is not restricted. Pure, from templates/.
 */
import { EXPOSURE } from '../config/exposure.js';
import type { Config } from '../config/schema.js';
import { loadTemplateText } from './templates.js';
import { extrasLabels, type Manifest } from './manifests.js';
import { stringify } from 'yaml';

/** JVB's private HTTP port (REST API, /colibri/stats, /metrics), the port the API server's pod proxy reaches. */
export const JVB_PRIVATE_PORT = 8080;
const WEB_PORT = 8000;
/** JVB's public HTTP port: the colibri WebSocket (bridge channel) the web's nginx proxies /colibri-ws/<server-id>/ to (docker-jitsi-meet web) */
const JVB_COLIBRI_WS_PORT = 9090;
const PROSODY_PORTS = [5222, 5269, 5280, 5281, 5347];
const JICOFO_PORT = 8888;
/** the chart's Prometheus exporter sidecars (jvb.metrics, jicofo.metrics) */
const EXPORTER_PORT = 9888;
const COTURN = { turn: 3478, turns: 5349, metrics: 9641, relay: { min: 50000, max: 54999 } };
/** Where the Tailscale operator runs its proxies (render/index.ts TAILSCALE_CHART.namespace). */
const TAILSCALE_NAMESPACE = 'tailscale';

/** Whether this render has NetworkPolicies: on, or auto when the CNI is known to enforce them. */
export function networkPoliciesOn(config: Config, cniEnforces?: boolean): boolean {
  const v = config.security.networkPolicies;
  return v === 'on' || (v === 'auto' && cniEnforces === true);
}

/**
 * The namespace the cluster's Prometheus scrapes from, when monitoring is on: `monitoring.namespace`, else the
 * namespace in `monitoring.prometheusURL` (`http://<service>.<namespace>.svc…`), else `monitoring`.
 */
export function monitoringNamespace(config: Config): string | undefined {
  const m = config.monitoring;
  if (!m.enabled) return undefined;
  if (m.namespace) return m.namespace;
  // <service>.<namespace>[.svc[.<cluster domain>]]: a Service name, not an address
  const inUrl = m.prometheusURL ? /^[a-z0-9-]+\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.svc(\..+)?)?$/.exec(new URL(m.prometheusURL).hostname) : null;
  return inUrl && !/^\d+$/.test(inUrl[1]!) ? inUrl[1]! : 'monitoring';
}

type Peer = Record<string, unknown>;
type Port = { port: number; protocol: 'TCP' | 'UDP'; endPort?: number };

const tcp = (...ports: number[]): Port[] => ports.map((port) => ({ port, protocol: 'TCP' }));
const udp = (...ports: number[]): Port[] => ports.map((port) => ({ port, protocol: 'UDP' }));
const inNamespace = (ns: string): Peer => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });

function chartPods(config: Config, component?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'jitsi-meet',
    'app.kubernetes.io/instance': config.cluster.release,
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
  };
}
const ourPods = (config: Config, component: string): Record<string, string> => ({
  'app.kubernetes.io/component': component,
  'jitsi-k8s/release': config.cluster.release,
});

/** Where clients' connections to the web and TURN come from in this config; undefined = anywhere. */
function frontDoor(config: Config): Peer[] | undefined {
  switch (config.exposure.mode) {
    case 'tailscale':
      return [inNamespace(TAILSCALE_NAMESPACE)];
    case 'pangolin':
      return [{ podSelector: { matchLabels: ourPods(config, 'newt') } }];
    default:
      return undefined;
  }
}

/** Where the web's requests come from: the front door of VPN modes, else the ingress controller when the chart's Ingress serves the site. */
function webSources(config: Config): Peer[] | undefined {
  const vpn = frontDoor(config);
  if (vpn) return vpn;
  if (config.tls.mode === 'none') return undefined;
  return config.security.ingressNamespaces.map(inNamespace);
}

interface Rule {
  from?: Peer[];
  ports: Port[];
}

function policy(config: Config, name: string, podSelector: Record<string, string>, rules: Rule[], comment: string): Manifest {
  const object = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${config.cluster.release}-${name}`, namespace: config.cluster.namespace, labels: extrasLabels(config, 'network-policy') },
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: ['Ingress'],
      ingress: rules.map((r) => ({ ...(r.from ? { from: r.from } : {}), ports: r.ports })),
    },
  };
  return { file: `netpol-${name}.yaml`, kind: 'NetworkPolicy', name: object.metadata.name, object, yaml: `# ${comment}\n${stringify(object)}` };
}

/** The API server's pod proxy to the bridges' private port: a helm template (the hosts' addresses are looked up at install). */
function apiServerPolicy(config: Config): Manifest {
  const name = `${config.cluster.release}-jvb-from-api-server`;
  const labels = extrasLabels(config, 'network-policy');
  const indent = (o: unknown, n: number) =>
    stringify(o)
      .trimEnd()
      .split('\n')
      .map((l) => ' '.repeat(n) + l)
      .join('\n');
  const yaml = loadTemplateText('manifests/netpol-api-server.yaml')
    .replace('NETPOL_NAME', name)
    .replace('NETPOL_NAMESPACE', config.cluster.namespace)
    .replace('    NETPOL_LABELS', indent(labels, 4))
    .replace('      NETPOL_SELECTOR', indent(chartPods(config, 'jvb'), 6))
    .replace('NETPOL_PORT', String(JVB_PRIVATE_PORT));
  const object = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: config.cluster.namespace, labels },
    spec: {
      podSelector: { matchLabels: chartPods(config, 'jvb') },
      policyTypes: ['Ingress'],
      ingress: [{ from: ['<the API server hosts, looked up by helm at install>'], ports: tcp(JVB_PRIVATE_PORT) }],
    },
  };
  return { file: 'netpol-jvb-from-api-server.yaml', kind: 'NetworkPolicy', name, object, yaml, helmTemplate: true };
}

/** Every NetworkPolicy of the release namespace for this config (empty when they are off). */
export function networkPolicies(config: Config, cniEnforces?: boolean): Manifest[] {
  if (!networkPoliciesOn(config, cniEnforces)) return [];
  const monitoring = monitoringNamespace(config);
  const fromMonitoring = (...ports: number[]): Rule[] => (monitoring ? [{ from: [inNamespace(monitoring)], ports: tcp(...ports) }] : []);
  const mode = config.exposure.mode;
  const media = EXPOSURE[mode].behindService
    ? udp(...Array.from({ length: config.components.jvb.replicas }, (_, i) => config.exposure.udpPort + i))
    : udp(config.exposure.udpPort);
  const out: Manifest[] = [
    policy(config, 'default-deny', {}, [], 'nothing reaches a pod of this namespace unless a policy below lets it in'),
    policy(
      config,
      'web',
      chartPods(config, 'web'),
      [{ from: webSources(config), ports: tcp(WEB_PORT) }],
      'the site: from where clients come in (ingress controller, VPN proxy), nothing else',
    ),
    policy(
      config,
      'jvb',
      chartPods(config, 'jvb'),
      [
        // media from anywhere (clients, TURN, the other bridges' relays)
        { ports: media },
        // the bridge channel: browsers reach it through the site, whose nginx proxies it
        { from: [{ podSelector: { matchLabels: chartPods(config, 'web') } }], ports: tcp(JVB_COLIBRI_WS_PORT) },
        {
          from: [
            { podSelector: { matchLabels: chartPods(config, 'jicofo') } },
            { podSelector: { matchLabels: chartPods(config, 'prosody') } },
            { podSelector: { matchLabels: ourPods(config, 'jvb-cost-keeper') } },
            // managed control planes reach pods through konnectivity agents
            { ...inNamespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'konnectivity-agent' } } },
          ],
          ports: tcp(JVB_PRIVATE_PORT),
        },
        ...fromMonitoring(JVB_PRIVATE_PORT, EXPORTER_PORT),
      ],
      'the bridges: media from anywhere; the bridge channel from the web; their REST API (with drain and shutdown) only from jicofo, prosody, the keeper and monitoring',
    ),
    apiServerPolicy(config),
    policy(
      config,
      'prosody',
      chartPods(config, 'prosody'),
      [{ from: [{ podSelector: { matchLabels: chartPods(config) } }], ports: tcp(...PROSODY_PORTS) }, ...fromMonitoring(5280)],
      "XMPP, components and BOSH: only the release's own components (web proxies BOSH)",
    ),
    policy(
      config,
      'jicofo',
      chartPods(config, 'jicofo'),
      // the site's /conference-request/v1 is jicofo's, proxied by the web's nginx (jitsi's nginx configs)
      [{ from: [{ podSelector: { matchLabels: chartPods(config, 'web') } }], ports: tcp(JICOFO_PORT) }, ...fromMonitoring(JICOFO_PORT, EXPORTER_PORT)],
      "jicofo's REST API: the web (which proxies /conference-request/) and monitoring",
    ),
  ];
  if (config.exposure.turn.enabled) {
    out.push(
      policy(
        config,
        'coturn',
        chartPods(config, 'coturn'),
        [
          { from: frontDoor(config), ports: [...udp(COTURN.turn), ...tcp(COTURN.turn, COTURN.turns)] },
          {
            from: [{ podSelector: { matchLabels: chartPods(config, 'jvb') } }],
            ports: [{ port: COTURN.relay.min, endPort: COTURN.relay.max, protocol: 'UDP' }],
          },
          ...fromMonitoring(COTURN.metrics),
        ],
        'TURN: from where clients come in; the relay ports only from the bridges',
      ),
    );
  }
  return out;
}
