/**
 * The bridges' graceful shutdown through helm's post-renderer: the pure patching, then the real
 * jitsi-meet 3.4.0 chart rendered by real helm 4 (a postrenderer/v1 plugin by name) and real helm 3
 * (an executable by path), through the very step apply runs: every config keeps rendering, and every
 * JVB Deployment comes out with the preStop hook and grace period, the bridges with SHUTDOWN_REST_ENABLED.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { mainReleaseStep } from '../../src/cluster/plan.js';
import { preparePostRenderer, postRenderProgram } from '../../src/cluster/post-renderer.js';
import { GRACEFUL_SHUTDOWN_SCRIPT } from '../../src/render/drain.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { applyPatches, parsePatches } from '../../src/render/post-render.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { helm3Bin, helmBin } from '../support/tools.js';
import { testChart } from '../support/chart.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MANIFESTS = `---
# Source: jitsi-meet/templates/jvb/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: j-jvb-0
spec:
  template:
    spec:
      containers:
        - name: metrics
          image: exporter
        - name: jitsi-meet
          image: jvb
          env: [{ name: A, value: "1" }, { name: B, value: "yes" }]
      volumes:
        - name: custom-scripts
          configMap: { defaultMode: 0755, name: s }
---
# Source: jitsi-meet/templates/web/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: j-web
spec: { replicas: 1 }
`;

const patch = (name: string, container = 'jitsi-meet') =>
  stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      template: { spec: { terminationGracePeriodSeconds: 99, containers: [{ name: container, lifecycle: { preStop: { exec: { command: ['x'] } } } }] } },
    },
  });

describe('post-render patches (strategic merge, containers by name)', () => {
  it("patches the named Deployment and container only, keeps everything else, and keeps helm's Source line", () => {
    const out = applyPatches(MANIFESTS, parsePatches(patch('j-jvb-0')));
    const docs = parseAllDocuments(out)
      .map((d) => d.toJS() as Any)
      .filter(Boolean);
    expect(docs).toHaveLength(2);
    const jvb = docs[0]!.spec.template.spec;
    expect(jvb.terminationGracePeriodSeconds).toBe(99);
    expect(jvb.containers.map((c: Any) => c.name)).toEqual(['metrics', 'jitsi-meet']);
    expect(jvb.containers[0]).toEqual({ name: 'metrics', image: 'exporter' });
    expect(jvb.containers[1]).toEqual({
      name: 'jitsi-meet',
      image: 'jvb',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: 'yes' },
      ],
      lifecycle: { preStop: { exec: { command: ['x'] } } },
    });
    // read back as the API server reads YAML (1.1): the chart's octal mode stays 0755, the string "yes" stays a string
    const asServer = parseAllDocuments(out, { version: '1.1' }).map((d) => d.toJS() as Any)[0]!.spec.template.spec;
    expect(asServer.volumes[0].configMap.defaultMode).toBe(0o755);
    expect(asServer.containers[1].env[1].value).toBe('yes');
    expect(docs[1]).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'j-web' }, spec: { replicas: 1 } });
    expect(out).toContain('# Source: jitsi-meet/templates/jvb/deployment.yaml\napiVersion: apps/v1');
  });

  it.each([
    ['a Deployment the chart did not render', patch('j-jvb-1'), /no Deployment j-jvb-1 to patch/],
    ['a container the Deployment does not have', patch('j-jvb-0', 'jvb'), /Deployment j-jvb-0: no container named "jvb"/],
  ])('%s is an error, never a silent skip', (_what, patches, message) => {
    expect(() => applyPatches(MANIFESTS, parsePatches(patches))).toThrow(message);
  });

  it('the bundled program fails with exit 1 and says why (helm then fails the install)', () => {
    const r = spawnSync(process.execPath, [postRenderProgram(), '/nonexistent/patches.yaml'], { input: MANIFESTS, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: jitsi-k8s-jvb-drain post-renderer: .*no such file/);
  });
});

const pangolin = { mode: 'pangolin', pangolin: { endpoint: 'https://pangolin.example.com' }, publicIP: '198.51.100.7' };
/** every exposure mode, one and several bridges, the optional components, another release name */
const CONFIGS: [string, Any][] = [
  ['loadBalancer, 1 bridge', {}],
  ['loadBalancer, 4 bridges, drain 20m', { components: { jvb: { replicas: 4, drain: { timeout: '20m' } } } }],
  ['nodePort, 2 bridges', { exposure: { mode: 'nodePort', nodePort: 30000, publicIP: undefined }, components: { jvb: { replicas: 2 } } }],
  [
    'hostPort, 3 bridges autoscaled',
    {
      nodes: { count: 4 },
      exposure: { mode: 'hostPort', publicIP: undefined },
      components: { jvb: { replicas: 3, autoscale: { enabled: true, min: 2, max: 4 } } },
    },
  ],
  ['tailscale, 2 bridges', { exposure: { mode: 'tailscale', publicIP: undefined }, components: { jvb: { replicas: 2 } } }],
  [
    'pangolin, 3 bridges, release team-meet',
    { cluster: { release: 'team-meet', namespace: 'video' }, exposure: pangolin, components: { jvb: { replicas: 3 } } },
  ],
  [
    'jibri + jigasi + transcriber + TURN',
    { components: { jibri: { enabled: true }, jigasi: { enabled: true }, transcriber: { enabled: true } }, exposure: { turn: { enabled: true } } },
  ],
];

/** helm template of the real chart through the main release step's own post-renderer flags. */
async function renderThrough(helm: { bin: string; major: number }, overrides: Any): Promise<{ docs: Any[]; release: ReturnType<typeof renderRelease> }> {
  const release = renderRelease(config(overrides), FIXED_SECRETS);
  const step = mainReleaseStep(release, { helm, timeout: '15m' });
  const prepared = preparePostRenderer(step);
  try {
    const i = prepared.args.indexOf('--post-renderer');
    const flags = prepared.args.slice(i, i + 4);
    expect(flags[2]).toBe('--post-renderer-args');
    const res = await run(helm.bin, ['template', release.release, testChart(), '--namespace', release.namespace, ...flags, '--values', '-'], {
      input: stringify(fullValues(release)),
      env: prepared.env,
    });
    return {
      docs: parseAllDocuments(res.stdout)
        .map((d) => d.toJS() as Any)
        .filter(Boolean),
      release,
    };
  } finally {
    prepared.remove();
  }
}

describe.each([
  ['helm 4', () => ({ bin: helmBin(), major: 4 })],
  ['helm 3', () => ({ bin: helm3Bin(), major: 3 })],
])('the real chart jitsi-meet 3.4.0 through %s with the post-renderer', (_name, helm) => {
  it.each(CONFIGS)('%s: renders; every JVB Deployment has the graceful shutdown and grace period', async (_c, overrides) => {
    const { docs, release } = await renderThrough(helm(), overrides);
    const jvbs = docs.filter((d) => d.kind === 'Deployment' && d.metadata.labels?.['app.kubernetes.io/component'] === 'jvb');
    expect(jvbs.map((d) => d.metadata.name).sort()).toEqual(release.jvbDeployments);
    const grace = release.postRender.patches[0]!.spec.template.spec.terminationGracePeriodSeconds;
    expect(grace).toBe((overrides.components?.jvb?.drain?.timeout === '20m' ? 20 * 60 : 3600) + 120);
    for (const d of jvbs) {
      const pod = d.spec.template.spec;
      expect(pod.terminationGracePeriodSeconds).toBe(grace);
      const main = pod.containers.find((c: Any) => c.name === 'jitsi-meet');
      expect(main.lifecycle).toEqual({ preStop: { exec: { command: [GRACEFUL_SHUTDOWN_SCRIPT] } } });
      // the rest of the container is the chart's own
      expect(main.image).toMatch(/^jitsi\/jvb:|ghcr\.io\/jitsi\/jvb:/);
    }
    const jvbConfig = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === `${release.fullname}-jvb`)!;
    expect(jvbConfig.data.SHUTDOWN_REST_ENABLED).toBe('true');
    // nothing else was touched: the other workloads have no hook of ours
    for (const d of docs.filter((x) => x.kind === 'Deployment' && !jvbs.includes(x))) {
      expect(JSON.stringify(d)).not.toContain('graceful_shutdown');
    }
  });
});
