/**
 * The JVB Service's load-balancer address as apply reads it (defaultClusterActions against the fake API
 * server; the real API server run is in test/cluster-real/). AWS ELBs write only a `hostname` into the
 * status: apply resolves it at once, or stops at once with the fix — it never waits out the 10 minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClusterActions } from '../../src/cluster/apply.js';
import { CommandError } from '../../src/errors.js';
import { config } from '../support/config.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

let api: FakeApiServer;
const savedEnv = process.env.KUBECONFIG;
const lbConfig = config({ exposure: { mode: 'loadBalancer', publicIP: undefined }, cluster: { namespace: 'jitsi' } });

beforeAll(async () => {
  api = await startFakeApiServer();
  api.state.namespaces.push('jitsi');
  process.env.KUBECONFIG = api.writeKubeconfig();
});
afterAll(async () => {
  if (savedEnv === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedEnv;
  await api.close();
});

function lbService(name: string, ingress: { ip?: string; hostname?: string }[]) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'jitsi', labels: { 'app.kubernetes.io/instance': 'jitsi', 'app.kubernetes.io/component': 'jvb' } },
    spec: { type: 'LoadBalancer', ports: [{ name: 'rtp-udp-0', port: 10000, protocol: 'UDP' }] },
    status: { loadBalancer: { ingress } },
  };
}

const within = async <T>(ms: number, p: Promise<T>) => {
  const t0 = Date.now();
  const r = await p.then((v) => v, (e: unknown) => e);
  return { r, ms: Date.now() - t0, inTime: Date.now() - t0 < ms };
};

describe('load-balancer address of the JVB Service', () => {
  it('an ip in the status is advertised as is', async () => {
    api.state.services = [lbService('jitsi-jitsi-meet-jvb', [{ ip: '192.0.2.44' }])];
    const actions = await defaultClusterActions(lbConfig);
    expect(await actions.serviceAddress('jitsi', 'jitsi-jitsi-meet-jvb', new AbortController().signal)).toBe('192.0.2.44');
  });

  it('a hostname only (AWS ELB) is resolved with DNS and its IP advertised, without waiting', async () => {
    // `localhost` resolves from /etc/hosts: no query leaves the machine
    api.state.services = [lbService('jitsi-jitsi-meet-jvb', [{ hostname: 'localhost' }])];
    const actions = await defaultClusterActions(lbConfig);
    const { r, inTime } = await within(5_000, actions.serviceAddress('jitsi', 'jitsi-jitsi-meet-jvb', AbortSignal.timeout(20_000)));
    expect(r).toBe('127.0.0.1');
    expect(inTime).toBe(true);
  });

  it('several addresses behind the name: the same IPv4 one every time', async () => {
    api.state.services = [lbService('jitsi-jitsi-meet-jvb', [{ hostname: 'nlb-1.elb.example' }])];
    const answers = [['2001:db8::5', '198.51.100.20', '198.51.100.3'], ['198.51.100.3', '2001:db8::5', '198.51.100.20']];
    for (const answer of answers) {
      const actions = await defaultClusterActions(lbConfig, async (h) => (h === 'nlb-1.elb.example' ? answer : []));
      expect(await actions.serviceAddress('jitsi', 'jitsi-jitsi-meet-jvb', AbortSignal.timeout(20_000))).toBe('198.51.100.20');
    }
  });

  it('a hostname that does not resolve stops at once with the exact fix', async () => {
    api.state.services = [lbService('jitsi-jitsi-meet-jvb', [{ hostname: 'a1b2-123.eu-west-1.elb.amazonaws.com' }])];
    // a resolver that answers as getaddrinfo does for an unknown name: no DNS query leaves the test
    const notFound = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND a1b2-123.eu-west-1.elb.amazonaws.com'), { code: 'ENOTFOUND' });
    };
    const actions = await defaultClusterActions(lbConfig, notFound);
    const { r, inTime } = await within(5_000, actions.serviceAddress('jitsi', 'jitsi-jitsi-meet-jvb', AbortSignal.timeout(20_000)));
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
