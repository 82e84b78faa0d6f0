/**
 * Monitoring and stress autoscaling against the real API server: without the Prometheus operator's CRDs
 * preflight says so and a monitoring config changes nothing; with the real CRDs (the Prometheus operator's
 * and KEDA's, from their Go modules at pinned versions: npm run monitoring:build) `apply` creates the
 * PodMonitors, ServiceMonitors, PrometheusRule, dashboards and the ScaledObject, and the API server keeps
 * every field (a structural schema prunes what it does not know, so a kept spec is a spec it accepted).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { renderRelease } from '../../src/render/index.js';
import { configSchema } from '../../src/config/schema.js';
import { cluster, kubectlAsync as kubectl, realClusterWork, skipReason } from '../support/control-plane.js';
import { FIXED_SECRETS } from '../support/config.js';
import { crdFiles, monitoringSkip } from '../support/monitoring.js';
import { initArgs } from '../support/cli.js';

const real = realClusterWork('jk8s-mon');
const work = real.dir;
const jitsiK8s = (args: string[]) => real.jitsiK8s(args);
const PROM = 'http://prometheus-operated.monitoring.svc:9090';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CRDS = [
  'podmonitors.monitoring.coreos.com',
  'servicemonitors.monitoring.coreos.com',
  'prometheusrules.monitoring.coreos.com',
  'prometheuses.monitoring.coreos.com',
  'scaledobjects.keda.sh',
];
const crdPath = (name: string) =>
  [...crdFiles('prometheus-operator'), ...crdFiles('keda')].find((f) => f.endsWith(`${name.split('.').slice(1).join('.')}_${name.split('.')[0]}.yaml`))!;

async function installCrds(): Promise<void> {
  for (const name of CRDS) await kubectl(['apply', '--server-side', '-f', crdPath(name)]);
  for (const name of CRDS) await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${name}`]);
}

beforeAll(() => real.setUp());
afterAll(async () => {
  // gone before the next file runs: a wizard there must not see a Prometheus operator
  if (cluster) await kubectl(['delete', 'crd', ...CRDS, '--ignore-not-found', '--timeout=60s']).catch(() => undefined);
  await real.cleanUp();
});

const toolsSkip = monitoringSkip();

describe.skipIf(!cluster || toolsSkip)(
  `monitoring on a real API server${cluster ? (toolsSkip ? ` (skipped: ${toolsSkip})` : '') : ` (skipped: ${skipReason})`}`,
  () => {
    let ns: string;
    let monNs: string;
    const configPath = join(work, 'mon.yaml');

    beforeAll(async () => {
      ns = real.space('jk8s-mon');
      monNs = real.space('jk8s-prom');
      const init = await jitsiK8s(
        initArgs(configPath, ns, ['--exposure', 'hostPort', '--tls', 'none', '--autoscale', '--autoscale-min', '1', '--autoscale-max', '2']),
      );
      expect(init.code, init.stderr).toBe(0);
      const c = parse(readFileSync(configPath, 'utf8'));
      c.monitoring = { enabled: true, labels: { release: 'kps' }, prometheusURL: PROM };
      c.components.jvb.autoscale = { ...c.components.jvb.autoscale, metric: 'stress' };
      writeFileSync(configPath, stringify(c));
    });

    it('without the CRDs: preflight says monitoring cannot be installed, and nothing changes', { timeout: 5 * 60_000 }, async () => {
      for (const name of CRDS) expect(await kubectl(['get', 'crd', name, '--ignore-not-found', '-o', 'name'])).toBe('');
      const r = await jitsiK8s(['apply', '--yes', '--config', configPath]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("the Prometheus operator's CRDs are not installed");
      expect(r.stderr).toContain('KEDA is not installed (keda.sh is not served)');
      expect(r.stderr).toMatch(/preflight failed \(2 checks\): autoscaler, monitoring — nothing was changed/);
      expect(await kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name'])).toBe('');
    });

    it(
      'with the real CRDs: preflight names the Prometheus that selects our labels; apply creates every monitoring object and the ScaledObject as rendered',
      { timeout: 10 * 60_000 },
      async () => {
        await installCrds();
        await kubectl(['create', 'namespace', monNs]);
        const prometheus = {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'Prometheus',
          metadata: { name: 'kps-prometheus', namespace: monNs },
          spec: {
            serviceMonitorSelector: { matchLabels: { release: 'kps' } },
            podMonitorSelector: { matchLabels: { release: 'kps' } },
            ruleSelector: { matchLabels: { release: 'kps' } },
          },
        };
        await kubectl(['apply', '-f', '-'], stringify(prometheus));

        const r = await jitsiK8s(['apply', '--yes', '--json', '--config', configPath]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain(`Prometheus ${monNs}/kps-prometheus selects the monitors and rules labelled release=kps`);
        expect(r.stderr).toContain('a KEDA ScaledObject (Prometheus trigger) at average stress 0.6 per bridge: keda.sh is served');

        const get = async (kind: string, name: string) => JSON.parse(await kubectl(['get', kind, name, '--namespace', ns, '-o', 'json'])) as Any;
        const config = configSchema.parse(parse(readFileSync(configPath, 'utf8')));
        const rendered = renderRelease(config, FIXED_SECRETS).extras!.manifests.filter((m) =>
          ['PodMonitor', 'PrometheusRule', 'ScaledObject'].includes(m.kind),
        );
        expect(rendered.map((m) => m.kind).sort()).toEqual(['PodMonitor', 'PodMonitor', 'PrometheusRule', 'ScaledObject']);
        for (const m of rendered) {
          const live = await get(`${m.kind.toLowerCase()}s`, m.name);
          // nothing pruned, nothing changed: the CRD's schema took the spec as it is
          expect(live.spec, `${m.kind} ${m.name}`).toEqual(m.object.spec);
          expect(live.metadata.labels.release).toBe(m.kind === 'ScaledObject' ? undefined : 'kps');
        }
        // the chart's own, turned on with our labels
        for (const sm of ['jitsi-jitsi-meet-jvb', 'jitsi-jitsi-meet-prosody']) expect((await get('servicemonitors', sm)).metadata.labels.release).toBe('kps');
        const dashboards = (await kubectl(['get', 'configmaps', '--namespace', ns, '-l', 'grafana_dashboard=1', '-o', 'name']))
          .split('\n')
          .filter(Boolean)
          .sort();
        expect(dashboards).toEqual(['configmap/jitsi-jitsi-capacity-dashboard', 'configmap/jitsi-jitsi-meet-grafana-dashboards']);
        // the bridges got the chart's exporter beside the JVB
        const bridge = await get('deployments', 'jitsi-jitsi-meet-jvb-0');
        expect(bridge.spec.template.spec.containers.map((c: Any) => c.name)).toEqual(['jitsi-meet', 'metrics']);
      },
    );

    it(
      'init on the cluster with the operator and KEDA: --monitoring takes the labels its Prometheus selects and its address, stress goes through KEDA',
      { timeout: 2 * 60_000 },
      async () => {
        const out = join(work, 'init-mon.yaml');
        const init = await jitsiK8s(
          initArgs(out, ns, ['--exposure', 'hostPort', '--tls', 'none', '--monitoring', '--autoscale', '--autoscale-metric', 'stress']),
        );
        expect(init.code, init.stderr).toBe(0);
        const written = parse(readFileSync(out, 'utf8'));
        expect(written.monitoring).toEqual({
          enabled: true,
          labels: { release: 'kps' },
          prometheusURL: `http://prometheus-operated.${monNs}.svc:9090`,
          // where the NetworkPolicies let its scrapes in from
          namespace: monNs,
          dashboards: true,
        });
        expect(written.components.jvb.autoscale).toMatchObject({ enabled: true, metric: 'stress', engine: 'keda' });
      },
    );

    it('the CRDs really validate: the API server refuses a ScaledObject without triggers and a rule with a bad duration', { timeout: 60_000 }, async () => {
      const bad = (object: Any) =>
        kubectl(['apply', '--dry-run=server', '-f', '-'], stringify(object)).then(
          () => 'accepted',
          (e: Error) => e.message,
        );
      expect(
        await bad({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x', namespace: ns }, spec: { scaleTargetRef: { name: 'x' } } }),
      ).toMatch(/triggers: Required value/);
      expect(
        await bad({
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: { name: 'x', namespace: ns },
          spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up', for: 'ten minutes' }] }] },
        }),
      ).toMatch(/spec\.groups\[0\]\.rules\[0\]\.for/);
    });

    it('uninstall removes them with the release', { timeout: 5 * 60_000 }, async () => {
      const r = await jitsiK8s(['uninstall', '--yes', '--no-drain', '--config', configPath]);
      expect(r.code, r.stderr).toBe(0);
      for (const kind of ['podmonitors', 'servicemonitors', 'prometheusrules', 'scaledobjects'])
        expect(await kubectl(['get', kind, '--namespace', ns, '-o', 'name'])).toBe('');
    });
  },
);
