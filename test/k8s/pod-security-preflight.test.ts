/**
 * Preflight's Pod Security table (src/cluster/pod-security.ts) against the REAL API server's admission:
 * every pod template the real chart jitsi-meet 3.4.0 and the extras chart render, per config, is
 * created with `--dry-run=server` in namespaces enforcing "baseline" and "restricted"; the components
 * the API server refuses are exactly the ones the table names. Then `jitsi-k8s apply` of a hostPort
 * config into a "baseline" namespace: preflight names the refusal and the fix, exit 2, no helm step ran.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKube } from '../../src/cluster/kube.js';
import { podSecurityRefusals, type PodSecurityLevel } from '../../src/cluster/pod-security.js';
import { runPreflight } from '../../src/cluster/preflight.js';
import { renderRelease } from '../../src/render/index.js';
import { chartValues, template, WITH_STORAGE, type Any } from '../support/chart.js';
import { cliAsync } from '../support/cli.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { cluster, kubectl, skipReason } from '../support/control-plane.js';
import { helmBin, kubectlBin } from '../support/tools.js';

const runId = Date.now().toString(36).slice(-5);
const levels: PodSecurityLevel[] = ['baseline', 'restricted'];
const nsOf = (level: string) => `jk8s-psa-${level}-${runId}`;
const target = `jk8s-psa-apply-${runId}`;
const work = mkdtempSync(join(tmpdir(), 'jk8s-psa-'));

beforeAll(() => {
  if (!cluster) return;
  for (const level of levels) {
    kubectl(['create', 'namespace', nsOf(level)]);
    kubectl(['label', 'namespace', nsOf(level), `pod-security.kubernetes.io/enforce=${level}`]);
  }
});
afterAll(() => {
  if (cluster) for (const ns of [...levels.map(nsOf), target]) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  rmSync(work, { recursive: true, force: true });
});

const CONFIGS: Record<string, Record<string, unknown>> = {
  'loadBalancer, 2 bridges': { components: { jvb: { replicas: 2 } } },
  'hostPort, 2 bridges (keeper)': { nodes: { count: 3 }, exposure: { mode: 'hostPort', publicIP: undefined }, components: { jvb: { replicas: 2 } } },
  'nodePort + TURN': { exposure: { mode: 'nodePort', nodePort: 30000, turn: { enabled: true } } },
  'pangolin (Newt)': { exposure: { mode: 'pangolin', publicIP: '203.0.113.10', pangolin: { endpoint: 'https://pangolin.example.com' } } },
  'jibri, jigasi, transcriber with storage': WITH_STORAGE,
};

/** The pod a workload's template makes, fit for a dry-run create in `ns` (helm reads 0755 as YAML 1.1 octal; our parser does not). */
function podOf(o: Any, ns: string): Any {
  const spec = structuredClone(o.spec.template.spec) as Any;
  for (const v of spec.volumes ?? []) {
    for (const src of [v.configMap, v.secret]) if (src && src.defaultMode > 0o777) src.defaultMode = parseInt(String(src.defaultMode), 8);
    // claims need not exist for admission; a missing claim is not what is judged here
    if (v.persistentVolumeClaim) {
      delete v.persistentVolumeClaim;
      v.emptyDir = {};
    }
  }
  for (const t of o.spec.volumeClaimTemplates ?? []) spec.volumes = [...(spec.volumes ?? []), { name: t.metadata.name, emptyDir: {} }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `psa-${o.metadata.name}`.slice(0, 63), namespace: ns, labels: o.spec.template.metadata?.labels }, spec };
}

/** Components whose pods the API server refuses in `ns` (dry run: nothing is created). */
function refusedBy(objects: Any[], ns: string): string[] {
  const refused = new Set<string>();
  for (const o of objects.filter((x) => ['Deployment', 'StatefulSet'].includes(x.kind))) {
    const pod = podOf(o, ns);
    let out = '';
    try {
      out = kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
    } catch (e) {
      out = String((e as { stderr?: unknown }).stderr);
    }
    if (/violates PodSecurity/.test(out)) refused.add(String(pod.metadata.labels['app.kubernetes.io/component']));
    else expect(out, `${o.metadata.name} in ${ns}`).toMatch(/created \(server dry run\)/);
  }
  return [...refused].sort();
}

describe.skipIf(!cluster)(`Pod Security: preflight's table against the real admission${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  beforeAll(() => {
    // the chart's pods run as its ServiceAccount; admission looks it up
    for (const level of levels) kubectl(['create', 'serviceaccount', 'jitsi-jitsi-meet', '-n', nsOf(level)]);
  });

  for (const [name, overrides] of Object.entries(CONFIGS)) {
    it(`${name}: the API server refuses exactly the components the table names`, async () => {
      const objects: Any[] = await template(chartValues(overrides));
      const extras = renderRelease(config(overrides), FIXED_SECRETS).extras?.manifests ?? [];
      for (const m of extras) if (!m.helmTemplate) objects.push(m.object as Any);
      for (const level of levels) {
        for (const m of extras) if (m.kind === 'ServiceAccount') kubectl(['apply', '-n', nsOf(level), '-f', '-'], JSON.stringify({ ...m.object, metadata: { name: m.name } }));
        const predicted = podSecurityRefusals(config(overrides), level)
          .map((r) => r.component)
          .sort();
        expect(refusedBy(objects, nsOf(level)), `${name} under ${level}`).toEqual(predicted);
      }
    });
  }

  it("tailscale mode: a baseline label on the operator's namespace refuses its proxies (privileged init container, NET_ADMIN); preflight says so", async () => {
    kubectl(['create', 'namespace', 'tailscale']);
    try {
      kubectl(['label', 'namespace', 'tailscale', 'pod-security.kubernetes.io/enforce=baseline']);
      const cfg = config({ exposure: { mode: 'tailscale', publicIP: undefined, tailscale: { installOperator: false } }, cluster: { namespace: nsOf('restricted') } });
      const r = await runPreflight(openKube({ kubeconfig: cluster!.kubeconfig }), cfg);
      const check = r.checks.find((c) => c.name === 'podSecurity')!;
      expect(check.verdict).toBe('fail');
      expect(check.message).toBe(
        'namespace tailscale enforces "baseline" (pod-security.kubernetes.io/enforce) and would refuse: the Tailscale operator\'s proxies (namespace tailscale) (they run a privileged init container and add NET_ADMIN, which "baseline" forbids)',
      );
      expect(check.hint).toContain('label namespace tailscale pod-security.kubernetes.io/enforce=privileged');
      // the release namespace itself (restricted) admits every pod of the config
      kubectl(['label', 'namespace', 'tailscale', 'pod-security.kubernetes.io/enforce=privileged', '--overwrite']);
      const ok = (await runPreflight(openKube({ kubeconfig: cluster!.kubeconfig }), cfg)).checks.find((c) => c.name === 'podSecurity')!;
      expect(ok).toMatchObject({ verdict: 'ok', message: `namespace ${nsOf('restricted')} enforces "restricted": every pod of this config is admitted` });
    } finally {
      kubectl(['delete', 'namespace', 'tailscale', '--wait=true']);
    }
  });

  it('apply of a hostPort config into a "baseline" namespace: preflight names the bridges and the fix, exit 2, nothing installed', async () => {
    kubectl(['create', 'namespace', target]);
    kubectl(['label', 'namespace', target, 'pod-security.kubernetes.io/enforce=baseline']);
    const p = join(work, 'jitsi-k8s.yaml');
    writeFileSync(
      p,
      `domain: meet.example.com\nnodes: { count: 3, cpu: 8, memoryGiB: 32 }\nexposure: { mode: hostPort }\ntls: { mode: none }\ncluster: { namespace: ${target} }\n`,
    );
    const r = await cliAsync(['apply', '--yes', '--config', p], { env: { KUBECONFIG: cluster!.kubeconfig, JITSI_K8S_HELM: helmBin(), JITSI_K8S_KUBECTL: kubectlBin() } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/Pod Security/);
    expect(r.stderr).toMatch(/enforces "baseline".*jvb.*hostPort 10000\/udp/s);
    expect(r.stderr).toContain(`hint: choose an exposure mode behind a Service (exposure.mode: loadBalancer or nodePort), or let the namespace run it: kubectl label namespace ${target} pod-security.kubernetes.io/enforce=privileged --overwrite`);
    expect(r.stderr).toMatch(/preflight failed .*podSecurity.*nothing was changed/);
    // no helm step ran: no release record, no workload
    expect(kubectl(['get', 'secrets', '-n', target, '-l', 'owner=helm', '-o', 'name']).trim()).toBe('');
    expect(kubectl(['get', 'deployments,statefulsets,services', '-n', target, '-o', 'name']).trim()).toBe('');
  });
});
