/** What each exposure mode means — one table read by validation, render, the wizard and scale. */
import type { ExposureMode } from './schema.js';

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
