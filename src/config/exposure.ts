/** What each exposure mode means — one table read by validation, render, the wizard and scale. */
import type { Config, ExposureMode } from './schema.js';

export interface ExposureSpec {
  title: string;
  /** who can join a meeting in this mode (shown by the wizard) */
  reach: string;
  /** media reaches the JVBs through one Service: more bridges = more ports (portRangeSize) */
  behindService: boolean;
  /** the JVB Service type the chart gets (absent: no Service, hostPort) */
  jvbServiceType?: 'LoadBalancer' | 'NodePort' | 'ClusterIP';
}

export const EXPOSURE: Record<ExposureMode, ExposureSpec> = {
  loadBalancer: {
    title: 'public LoadBalancer',
    reach: 'anyone on the internet; the load balancer must carry UDP (else enable TURN)',
    behindService: true,
    jvbServiceType: 'LoadBalancer',
  },
  nodePort: {
    title: 'NodePort',
    reach: 'anyone who can reach a node address on the NodePorts (firewall / port forward)',
    behindService: true,
    jvbServiceType: 'NodePort',
  },
  hostPort: {
    title: 'hostPort on the nodes',
    reach: 'anyone who can reach the nodes directly (nodes need public IPs or port forwards)',
    behindService: false,
  },
  tailscale: {
    title: 'Tailscale (tailnet only)',
    reach: 'members of your tailnet only: Funnel cannot carry UDP media, so this is not a public site',
    behindService: true,
    jvbServiceType: 'LoadBalancer',
  },
  pangolin: {
    title: 'Pangolin tunnel (Newt in the cluster)',
    reach: 'anyone on the internet, through your Pangolin VPS (raw UDP resources must be enabled there)',
    behindService: true,
    jvbServiceType: 'ClusterIP',
  },
};

/** UDP ports the bridges use for a given count (behind a Service: one port per bridge). */
export function jvbUdpPorts(mode: ExposureMode, firstPort: number, bridges: number): number[] {
  return EXPOSURE[mode].behindService ? Array.from({ length: bridges }, (_, i) => firstPort + i) : [firstPort];
}

/** A MagicDNS name `<device>.<tailnet>.ts.net`, split; undefined for any other name. */
export function splitTailnetName(host: string): { device: string; tailnet: string } | undefined {
  const m = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.ts\.net)$/.exec(host.toLowerCase());
  return m ? { device: m[1]!, tailnet: m[2]! } : undefined;
}

/**
 * The device name the web Ingress asks the Tailscale operator for (the operator takes the first label
 * of the Ingress's TLS host): exposure.tailscale.hostname, else the one in the tailnet name apply
 * saved (so the device keeps its name), else the one in a domain that is a tailnet name, else the release.
 */
export function tailscaleWebDevice(config: Config): string {
  const t = config.exposure.tailscale;
  return t?.hostname ?? (t?.fqdn ? t.fqdn.split('.')[0] : undefined) ?? splitTailnetName(config.domain)?.device ?? config.cluster.release;
}

/**
 * The site's tailnet name as far as the config knows it: the one apply read from the web Ingress
 * (exposure.tailscale.fqdn), else `<device>.<tailnet>` when the domain names the tailnet; undefined
 * when the tailnet is not known before apply.
 */
export function tailnetSiteName(config: Config): string | undefined {
  const fqdn = config.exposure.tailscale?.fqdn;
  if (fqdn) return fqdn.toLowerCase();
  const tailnet = splitTailnetName(config.domain)?.tailnet;
  return tailnet ? `${tailscaleWebDevice(config)}.${tailnet}` : undefined;
}
