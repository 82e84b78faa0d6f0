/**
 * The JVB Service's load-balancer address as apply reads it (defaultClusterActions) from the REAL API
 * server: the test writes the status a cloud controller would (the status subresource). AWS ELBs write
 * only a `hostname`: apply resolves it at once — every address, since JVB_ADVERTISE_IPS is a list — or
 * stops at once with the fix; it never waits out the 10 minutes. The resolver is injected: no DNS query
 * leaves the test, and no address written here is ever contacted. The Service is made with kubectl,
 * not by installing the chart: each case needs a fresh one with the status it sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClusterActions } from '../../src/cluster/apply.js';
import type { Resolve } from '../../src/cluster/addresses.js';
import { CommandError } from '../../src/errors.js';
import { config } from '../support/config.js';
import { cluster, kubectl, skipReason } from '../support/control-plane.js';

const ns = `jk8s-lbaddr-${Date.now().toString(36).slice(-5)}`;
const service = 'jitsi-jitsi-meet-jvb';
const lbConfig = config({ exposure: { mode: 'loadBalancer', publicIP: undefined }, cluster: { namespace: ns } });
const savedEnv = process.env.KUBECONFIG;

/** A fresh LoadBalancer Service whose status says what the cloud gave it. */
function loadBalancer(ingress: { ip?: string; hostname?: string }[]): void {
  kubectl(['delete', 'service', service, '--namespace', ns, '--ignore-not-found']);
  kubectl(['create', 'service', 'loadbalancer', service, '--namespace', ns, '--tcp', '10000:10000']);
  kubectl(['patch', 'service', service, '--namespace', ns, '--subresource', 'status', '--type', 'merge', '--patch', JSON.stringify({ status: { loadBalancer: { ingress } } })]);
}

const within = async <T>(ms: number, p: Promise<T>) => {
  const t0 = Date.now();
  const r = await p.then((v) => v, (e: unknown) => e);
  return { r, inTime: Date.now() - t0 < ms };
};
const noDns: Resolve = async (h) => {
  throw new Error(`unexpected DNS lookup of ${h}`);
};

beforeAll(() => {
  if (!cluster) return;
  process.env.KUBECONFIG = cluster.kubeconfig;
  kubectl(['create', 'namespace', ns]);
});
afterAll(() => {
  if (savedEnv === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedEnv;
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

describe.skipIf(!cluster)(`load-balancer address of the JVB Service on a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('an ip in the status is advertised as is', async () => {
    loadBalancer([{ ip: '192.0.2.44' }]);
    const actions = await defaultClusterActions(lbConfig, { resolve: noDns });
    expect(await actions.serviceAddresses(ns, service, AbortSignal.timeout(20_000))).toEqual(['192.0.2.44']);
  });

  it("the Tailscale operator's status (its MagicDNS name first, then the tailnet IP): the IP, with no DNS lookup", async () => {
    // the entries as the operator writes them (tailscale/tailscale cmd/k8s-operator/svc.go, 2026): hostname, then the IPs
    loadBalancer([{ hostname: 'jitsi-jvb.tailnet-test.ts.net' }, { ip: '100.100.7.7' }]);
    const actions = await defaultClusterActions(lbConfig, { resolve: noDns });
    expect(await actions.serviceAddresses(ns, service, AbortSignal.timeout(20_000))).toEqual(['100.100.7.7']);
  });

  it('a hostname only (AWS ELB) is resolved by the system resolver and its IP advertised, without waiting', async () => {
    // `localhost` resolves from /etc/hosts: no query leaves the machine
    loadBalancer([{ hostname: 'localhost' }]);
    const actions = await defaultClusterActions(lbConfig);
    const { r, inTime } = await within(5_000, actions.serviceAddresses(ns, service, AbortSignal.timeout(20_000)));
    expect(r).toEqual(['127.0.0.1']);
    expect(inTime).toBe(true);
  });

  it('several addresses behind the name (one per zone): all IPv4 ones, in the same order whatever order DNS gives', async () => {
    loadBalancer([{ hostname: 'nlb-1.elb.example' }]);
    const answers = [
      ['2001:db8::5', '198.51.100.20', '198.51.100.3'],
      ['198.51.100.3', '2001:db8::5', '198.51.100.20', '198.51.100.3'],
    ];
    for (const answer of answers) {
      const actions = await defaultClusterActions(lbConfig, { resolve: async (h) => (h === 'nlb-1.elb.example' ? answer : []) });
      expect(await actions.serviceAddresses(ns, service, AbortSignal.timeout(20_000))).toEqual(['198.51.100.3', '198.51.100.20']);
    }
    // an IPv6-only name: its IPv6 addresses
    const v6 = await defaultClusterActions(lbConfig, { resolve: async () => ['2001:db8::7', '2001:db8::5'] });
    expect(await v6.serviceAddresses(ns, service, AbortSignal.timeout(20_000))).toEqual(['2001:db8::5', '2001:db8::7']);
  });

  it('a hostname that does not resolve stops at once with the exact fix', async () => {
    loadBalancer([{ hostname: 'a1b2-123.eu-west-1.elb.amazonaws.com' }]);
    // a resolver that answers as getaddrinfo does for an unknown name: no DNS query leaves the test
    const notFound: Resolve = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND a1b2-123.eu-west-1.elb.amazonaws.com'), { code: 'ENOTFOUND' });
    };
    const actions = await defaultClusterActions(lbConfig, { resolve: notFound });
    const { r, inTime } = await within(5_000, actions.serviceAddresses(ns, service, AbortSignal.timeout(20_000)));
    expect(inTime).toBe(true);
    expect(r).toBeInstanceOf(CommandError);
    expect((r as CommandError).message).toBe(
      'the load balancer of Service jitsi-jitsi-meet-jvb has only the host name a1b2-123.eu-west-1.elb.amazonaws.com, which does not resolve here (ENOTFOUND); the bridges must advertise an IP address',
    );
    expect((r as CommandError).hint).toBe(
      "set exposure.publicIP in jitsi-k8s.yaml to the load balancer's address (`dig +short a1b2-123.eu-west-1.elb.amazonaws.com` once its DNS name is live) and run apply again",
    );
  });
});
