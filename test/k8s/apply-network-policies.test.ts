/**
 * security.networkPolicies: auto with the built bin, real helm and the real chart on the REAL API
 * server: preflight recognises no enforcing CNI on the test control plane, so apply installs no
 * policy; once a calico-node pod runs in kube-system (what preflight recognises Calico by), the
 * next apply installs them — the API-server policy with the addresses helm looked up — and still
 * reads the bridges through the API server's pod proxy. The config file keeps `auto`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cluster, kubectl, realClusterWork, skipReason } from '../support/control-plane.js';

const real = realClusterWork('jk8s-np-auto');
const calico = `calico-node-${real.runId}`;

beforeAll(() => real.setUp());
afterAll(async () => {
  if (cluster) kubectl(['delete', 'pod', calico, '-n', 'kube-system', '--ignore-not-found', '--wait=false']);
  await real.cleanUp();
});

const policies = (ns: string) => kubectl(['get', 'networkpolicies', '-n', ns, '-o', 'name']).split('\n').filter(Boolean).sort();

describe.skipIf(!cluster)(`apply with security.networkPolicies: auto against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('no enforcing CNI: no policy; with Calico recognised: the policies go in; the config keeps auto', { timeout: 10 * 60_000 }, async () => {
    const ns = real.space('jk8s-np-auto');
    const configPath = join(real.dir, 'auto.yaml');
    writeFileSync(
      configPath,
      `domain: meet.test.invalid\nnodes: { count: 3, cpu: 8, memoryGiB: 32 }\nexposure: { mode: nodePort, nodePort: 31000, publicIP: 203.0.113.10 }\ntls: { mode: none }\nsecurity: { networkPolicies: auto }\ncluster: { namespace: ${ns} }\n`,
    );
    const first = await real.jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('security.networkPolicies auto: off (no CNI known to enforce them)');
    expect(policies(ns)).toEqual([]);

    kubectl(['run', calico, '-n', 'kube-system', '--image=calico/node:v3.29.0', '--labels=k8s-app=calico-node', '--restart=Never']);
    const second = await real.jitsiK8s(['apply', '--yes', '--config', configPath]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('security.networkPolicies auto: on (the CNI enforces them)');
    expect(policies(ns)).toEqual(['default-deny', 'jicofo', 'jvb', 'jvb-from-api-server', 'prosody', 'web'].map((n) => `networkpolicy.networking.k8s.io/jitsi-${n}`));
    const fromApi = JSON.parse(kubectl(['get', 'networkpolicy', 'jitsi-jvb-from-api-server', '-n', ns, '-o', 'json'])) as { spec: { ingress: { from: { ipBlock: { cidr: string } }[] }[] } };
    expect(fromApi.spec.ingress[0]!.from.map((f) => f.ipBlock.cidr)).toEqual([`${cluster!.nodeIP}/32`]);
    expect(parse(readFileSync(configPath, 'utf8')).security.networkPolicies).toBe('auto');
  });
});
