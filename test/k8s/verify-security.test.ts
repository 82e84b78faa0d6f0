/**
 * `jitsi-k8s verify --security` as a user runs it (the built bin) against the REAL API server: a
 * release of the real chart installed with the values jitsi-k8s renders, in a namespace enforcing
 * "restricted" with the extras chart's NetworkPolicies, reads as locked down (no ×; the test
 * control plane's CNI is not one jitsi-k8s recognises, so the policies row is ‼); the same release
 * with no policy, no Pod Security label and a NodePort Service that opens prosody's XMPP port to the
 * world reads ‼ for each open private port and × for the Service, with the fixes, and exits 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { SecurityReport } from '../../src/cluster/security.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { testChart } from '../support/chart.js';
import { cliAsync } from '../support/cli.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { cluster, helmAsync, kubectl, skipReason, waitForReadyPods } from '../support/control-plane.js';
import { installExtras } from '../support/extras.js';
import { helmBin, kubectlBin } from '../support/tools.js';

const runId = Date.now().toString(36).slice(-5);
const locked = `jk8s-sec-locked-${runId}`;
const open = `jk8s-sec-open-${runId}`;
const work = mkdtempSync(join(tmpdir(), 'jk8s-sec-'));

const cfgOf = (ns: string, policies: 'on' | 'off') => config({ components: { jvb: { replicas: 2 } }, security: { networkPolicies: policies }, cluster: { namespace: ns, release: 'jitsi' } });

async function install(ns: string, policies: 'on' | 'off'): Promise<string> {
  const cfg = cfgOf(ns, policies);
  await helmAsync(['install', 'jitsi', testChart(), '--namespace', ns, '--values', '-'], stringify(fullValues(renderRelease(cfg, FIXED_SECRETS))));
  if (policies === 'on') await installExtras(cfg, work);
  const file = join(work, `${ns}.yaml`);
  writeFileSync(file, stringify({ domain: 'meet.example.com', components: { jvb: { replicas: 2 } }, exposure: { mode: 'loadBalancer', publicIP: '203.0.113.10' }, tls: { mode: 'letsencrypt', email: 'ops@example.com' }, security: { networkPolicies: policies }, cluster: { namespace: ns, release: 'jitsi' } }));
  return file;
}

const env = () => ({ KUBECONFIG: cluster!.kubeconfig, JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin() });
let lockedFile = '';
let openFile = '';

beforeAll(async () => {
  if (!cluster) return;
  kubectl(['create', 'namespace', locked]);
  kubectl(['label', 'namespace', locked, 'pod-security.kubernetes.io/enforce=restricted']);
  kubectl(['create', 'namespace', open]);
  lockedFile = await install(locked, 'on');
  openFile = await install(open, 'off');
  // someone exposed prosody's client port on the nodes
  kubectl(['create', 'service', 'nodeport', 'jitsi-xmpp-public', '-n', open, '--tcp=5222:5222']);
  kubectl(['label', 'service', 'jitsi-xmpp-public', '-n', open, 'app.kubernetes.io/instance=jitsi', 'app.kubernetes.io/component=prosody']);
  // the restricted namespace admitted the chart's pods
  await waitForReadyPods(locked, 'app.kubernetes.io/instance=jitsi', 5);
}, 180_000);

afterAll(() => {
  if (cluster) for (const ns of [locked, open]) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

const byId = (r: SecurityReport) => Object.fromEntries(r.rows.map((row) => [row.id, row]));

describe.skipIf(!cluster)(`jitsi-k8s verify --security against a real API server${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('a locked-down install: restricted, default deny, private ports only to their peers, media to anywhere; exit 0', async () => {
    const r = await cliAsync(['verify', '--security', '--json', '--config', lockedFile], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as SecurityReport;
    const rows = byId(report);
    expect(report.counts.fail).toBe(0);
    expect(rows['pod-security']).toMatchObject({ mark: 'ok', openTo: 'enforces "restricted"' });
    // the policies are there; the test control plane runs no CNI jitsi-k8s recognises
    expect(rows['network-policies']?.openTo).toMatch(/^6 policies, default deny; enforced by a CNI jitsi-k8s does not recognise$/);
    expect(rows['network-policies']?.mark).toBe('warn');
    expect(rows['service:jitsi-jitsi-meet-jvb']).toMatchObject({ mark: 'ok', openTo: "whoever reaches the load balancer's address" });
    expect(rows['ingress:jitsi-jitsi-meet-web']).toMatchObject({ mark: 'ok' });
    expect(rows['jvb-media']).toMatchObject({ mark: 'ok', openTo: 'anywhere' });
    expect(rows.web).toMatchObject({ mark: 'ok', openTo: 'namespace ingress-nginx, namespace traefik, namespace kube-system' });
    const rest = rows['private:jvb:8080']!;
    expect(rest.mark).toBe('ok');
    expect(rest.openTo).toContain('jicofo, prosody, jvb-cost-keeper, namespace kube-system (k8s-app=konnectivity-agent)');
    expect(rest.openTo).toMatch(/10\.245\.\d+\.1\/32/);
    expect(rows['jvb-channel']).toMatchObject({ mark: 'ok', openTo: 'web' });
    expect(rows['private:prosody:5222']).toMatchObject({ mark: 'ok', openTo: "the release's pods" });
    expect(rows['private:jicofo:8888']).toMatchObject({ mark: 'ok', openTo: 'web' });
    // the human table: one line per row, marks first
    const human = await cliAsync(['verify', '--security', '--config', lockedFile], { env: env() });
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/✓\s+Pod Security of namespace jk8s-sec-locked-\w+\s+enforces "restricted"/);
    expect(human.stderr).toMatch(new RegExp(`${report.counts.ok} ✓, ${report.counts.warn} ‼, 0 ×`));
  });

  it('an open install: ‼ for the missing label and policies, × for a private port on a NodePort, the fixes, exit 1', async () => {
    const r = await cliAsync(['verify', '--security', '--config', openFile], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const out = r.stderr;
    expect(out).toMatch(/‼\s+Pod Security of namespace jk8s-sec-open-\w+\s+no enforce label/);
    expect(out).toContain(`fix: kubectl label namespace ${open} pod-security.kubernetes.io/enforce=restricted`);
    expect(out).toMatch(/‼\s+NetworkPolicies in jk8s-sec-open-\w+\s+none: every pod in the cluster reaches every port/);
    expect(out).toMatch(/‼\s+bridge REST API \(drain, shutdown, stats\), 8080\/TCP\s+any pod in the cluster \(no policy\)/);
    expect(out).toContain('fix: set security.networkPolicies: on in jitsi-k8s.yaml and run jitsi-k8s apply');
    expect(out).toMatch(/×\s+Service jitsi-xmpp-public \(NodePort\) 5222\/TCP \(node port \d+\)\s+whoever reaches a node's address/);
    expect(out).toContain('fix: only the bridges\' UDP media and TURN need to leave the cluster: make jitsi-xmpp-public a ClusterIP Service');
    expect(out).toMatch(/error: verify --security: 1 exposure\(s\) marked ×/);
  });
});
