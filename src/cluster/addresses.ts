/** Addresses a cloud or operator writes into status: what the bridges advertise and what people open. */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CommandError } from '../errors.js';

/** Host name → its addresses (DNS through the system resolver by default). */
export type Resolve = (hostname: string) => Promise<string[]>;

export const systemResolve: Resolve = async (hostname) => (await lookup(hostname, { all: true })).map((a) => a.address);

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

/**
 * The IP the bridges advertise for a load balancer: its `ip`, or its `hostname` resolved (AWS ELBs
 * give only a name; JVB_ADVERTISE_IPS takes addresses). undefined while the status has neither.
 */
export async function loadBalancerAddress(service: string, ingress: LoadBalancerIngress | undefined, resolve: Resolve): Promise<string | undefined> {
  if (ingress?.ip) return ingress.ip;
  const name = ingress?.hostname;
  if (!name) return undefined;
  let addresses: string[];
  try {
    addresses = (await resolve(name)).filter((a) => isIP(a) !== 0);
  } catch (e) {
    throw unresolved(service, name, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  if (addresses.length === 0) throw unresolved(service, name, 'no addresses');
  // IPv4 first, then a stable order, so the same DNS answer always gives the same address
  return [...addresses].sort((a, b) => isIP(a) - isIP(b) || a.localeCompare(b))[0];
}

function unresolved(service: string, hostname: string, why: string): CommandError {
  return new CommandError(
    `the load balancer of Service ${service} has only the host name ${hostname}, which does not resolve here (${why}); the bridges must advertise an IP address`,
    `set exposure.publicIP in jitsi-k8s.yaml to the load balancer's address (\`dig +short ${hostname}\` once its DNS name is live) and run apply again`,
  );
}
