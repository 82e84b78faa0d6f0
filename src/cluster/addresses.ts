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
 * The IPs the bridges advertise for a load balancer: an `ip` of any status entry, or else every address
 * the first `hostname` resolves to (AWS ELBs give only a name, one IP per zone; the Tailscale operator
 * lists its MagicDNS name before the tailnet IP; JVB_ADVERTISE_IPS takes a list of addresses). IPv4
 * ones when there are any (the bridge's own sockets are IPv4), sorted so the same DNS answer gives the
 * same list. undefined while the status has neither.
 */
export async function loadBalancerAddresses(service: string, ingress: LoadBalancerIngress[] | undefined, resolve: Resolve): Promise<string[] | undefined> {
  const ip = ingress?.find((i) => i.ip)?.ip;
  if (ip) return [ip];
  const name = ingress?.find((i) => i.hostname)?.hostname;
  if (!name) return undefined;
  let addresses: string[];
  try {
    addresses = (await resolve(name)).filter((a) => isIP(a) !== 0);
  } catch (e) {
    throw unresolved(service, name, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  if (addresses.length === 0) throw unresolved(service, name, 'no addresses');
  const v4 = addresses.filter((a) => isIP(a) === 4);
  return [...new Set(v4.length > 0 ? v4 : addresses)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function unresolved(service: string, hostname: string, why: string): CommandError {
  return new CommandError(
    `the load balancer of Service ${service} has only the host name ${hostname}, which does not resolve here (${why}); the bridges must advertise an IP address`,
    `set exposure.publicIP in jitsi-k8s.yaml to the load balancer's address (\`dig +short ${hostname}\` once its DNS name is live) and run apply again`,
  );
}
