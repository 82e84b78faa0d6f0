/**
 * Our values through the real chart jitsi-meet 3.4.0 (test/support/chart.ts), with real helm: `helm
 * lint` and `helm template` of it pass with the values of every exposure mode, TLS mode, optional
 * component, TURN, autoscale and video setting, and the values reach what it renders. The chart has no
 * values schema: it ignores a misspelt key and renders whatever type it is given, so every key we
 * set must be one it reads (its templates and values.yaml) and every value must have the type of its
 * default (env values strings) — checked against the chart itself, and shown below to matter.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { chartKeys, chartValues, template, testChart, typeMismatches, unknownToChart, WITH_STORAGE, type Any } from '../support/chart.js';
import { helmBin } from '../support/tools.js';

const tmp = mkdtempSync(join(tmpdir(), 'jk8s-chart-values-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function valuesFile(values: unknown): string {
  const file = join(tmp, `values-${n++}.yaml`);
  writeFileSync(file, stringify(values), { mode: 0o600 });
  return file;
}

/** helm lint of the chart with these values, stdout and stderr both kept (lint reports on stdout), never throwing. */
async function lint(values: unknown): Promise<{ ok: boolean; out: string }> {
  const lines: string[] = [];
  try {
    await run(helmBin(), ['lint', testChart(), '-f', valuesFile(values)], { onLine: (l) => lines.push(l) });
    return { ok: true, out: lines.join('\n') };
  } catch (e) {
    return { ok: false, out: `${lines.join('\n')}\n${(e as Error).message}` };
  }
}

const bitrates = { low: 150000, standard: 500000, high: 1500000, full: 2500000, ultra: 6000000, ssHigh: 2000000 };
const pangolin = { mode: 'pangolin', publicIP: '198.51.100.7', pangolin: { endpoint: 'https://pangolin.example.com' } };

/** Representative configs: every exposure mode and TLS mode, optional components, TURN, autoscale, video knobs. */
const CASES: [string, Record<string, unknown>][] = [
  ['loadBalancer, 1 bridge (defaults)', {}],
  ['loadBalancer, 4 bridges, LB class and annotations', { components: { jvb: { replicas: 4 } }, exposure: { loadBalancerClass: 'metallb', annotations: { 'metallb.universe.tf/address-pool': 'media' } } }],
  ['nodePort with public IP, TURN', { components: { jvb: { replicas: 2 } }, exposure: { mode: 'nodePort', nodePort: 30100, turn: { enabled: true, allowedPeerIPs: ['10.42.0.0-10.42.255.255'] } } }],
  ['nodePort without public IP, tls none', { exposure: { mode: 'nodePort', nodePort: 31000, publicIP: undefined }, tls: { mode: 'none' } }],
  ['hostPort, 3 bridges, autoscale', { nodes: { count: 4 }, exposure: { mode: 'hostPort', publicIP: undefined }, components: { jvb: { replicas: 3, autoscale: { enabled: true, min: 2, max: 4 } } } }],
  ['hostPort, tls none', { exposure: { mode: 'hostPort' }, tls: { mode: 'none' } }],
  ['tailscale', { exposure: { mode: 'tailscale', publicIP: undefined, tailscale: { hostname: 'meet' } }, tls: { mode: 'none' } }],
  ['pangolin, 2 bridges', { exposure: pangolin, components: { jvb: { replicas: 2 } } }],
  ['tls secret with ingress class', { tls: { mode: 'secret', secretName: 'meet-tls', ingressClass: 'nginx' } }],
  ['letsencrypt with issuer, TURN (turns certificate)', { tls: { mode: 'letsencrypt', email: 'ops@example.com', issuer: 'le-staging', secretName: 'meet-le' }, exposure: { turn: { enabled: true, host: 'turn.example.com' } } }],
  ['jibri (storage), jigasi, transcriber (storage), prosody persistence', WITH_STORAGE],
  [
    'all bitrate layers of every codec, lastN, adaptive mode, AV1 first',
    { video: { codecs: ['AV1', 'VP9', 'VP8', 'H264'], resolution: 1080, simulcast: false, ssrcRewriting: false, lastN: 5, adaptiveMode: true, bitrates: { vp8: bitrates, vp9: bitrates, h264: bitrates, av1: bitrates } } },
  ],
  ['lastN -1, explicit resources and heap', { video: { lastN: -1 }, components: { jvb: { heapMiB: 2048, resources: { requests: { cpu: '2', memory: '4Gi' } } }, web: { replicas: 2 } } }],
  [
    'loadBalancer, everything on',
    {
      components: { jvb: { replicas: 2 }, jibri: { enabled: true, storage: { size: '5Gi' } }, jigasi: { enabled: true }, transcriber: { enabled: true, storage: { size: '10Gi' } }, prosody: { persistence: { enabled: true } } },
      video: { lastN: 10, adaptiveMode: true, bitrates: { vp8: { low: 1, standard: 2, high: 3, full: 4, ultra: 5, ssHigh: 6 }, vp9: { low: 1 }, h264: { low: 1 }, av1: { low: 1 } } },
      exposure: { turn: { enabled: true, allowedPeerIPs: ['10.0.0.0-10.0.255.255'] }, annotations: { a: 'b' }, loadBalancerClass: 'x' },
    },
  ],
  ['hostPort + autoscale, public IP', { exposure: { mode: 'hostPort' }, components: { jvb: { autoscale: { enabled: true } } } }],
  ['tailscale, default hostname, letsencrypt', { exposure: { mode: 'tailscale' } }],
  ['pangolin, tls secret with ingress class', { exposure: { mode: 'pangolin', pangolin: { endpoint: 'https://p.example.com' } }, tls: { mode: 'secret', secretName: 's', ingressClass: 'nginx' } }],
];

const rendered = CASES.map(([name, overrides]) => [name, chartValues(overrides)] as const);

const jvbDeployments = (docs: Any[]) =>
  docs.filter((d) => d.kind === 'Deployment' && /-jvb-\d+$/.test(d.metadata.name)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true }));
const envOf = (d: Any): Record<string, unknown> => Object.fromEntries((d.spec.template.spec.containers[0].env ?? []).map((e: Any) => [e.name, e.value ?? e.valueFrom]));
const configMapData = (docs: Any[]): Record<string, string> => Object.assign({}, ...docs.filter((d) => d.kind === 'ConfigMap').map((d) => d.data ?? {}));

describe('our values through the real jitsi-meet 3.4.0 chart (real helm)', () => {
  it.each(rendered)('%s: helm lint and helm template pass, and the values reach what it renders', async (_name, values) => {
    const linted = await lint(values);
    expect(linted.out).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(linted.ok).toBe(true);
    const docs = await template(values);
    expect(configMapData(docs).PUBLIC_URL).toBe(values.publicURL);
    const jvbs = jvbDeployments(docs);
    expect(jvbs).toHaveLength(values.jvb.portRangeSize);
    jvbs.forEach((d, i) => {
      expect(d.spec.replicas).toBe(values.jvb.replicaCount);
      expect(envOf(d).JVB_PORT).toBe(String(values.jvb.UDPPort + i));
    });
  });

  it.each(rendered)('%s: every key we set is one the chart reads, each of the type of its default', (_name, values) => {
    expect(unknownToChart(values)).toEqual([]);
    expect(typeMismatches(values)).toEqual([]);
  });

  it('the chart key list is read from the chart: its templates and values.yaml', () => {
    const keys = chartKeys();
    expect(keys).toEqual(expect.arrayContaining(['publicURL', 'jvb.portRangeSize', 'jvb.UDPPort', 'jvb.publicIPs', 'web.ingress.tls', 'octo.enabled']));
    expect(keys.length).toBeGreaterThan(500);
  });

  it('the key check catches a key the chart does not read', () => {
    expect(unknownToChart({ jvb: { replicas: 2, portRangeSize: 1 }, web: { extraEnvs: { X: '1' } } })).toEqual(['jvb.replicas']);
  });

  const base = () => structuredClone(rendered[1]![1]);

  it('a misspelt key is caught, naming it; the chart itself would silently render one bridge instead of four', async () => {
    const v = base();
    v.jvb.portRangSize = v.jvb.portRangeSize;
    delete v.jvb.portRangeSize;
    expect(unknownToChart(v)).toEqual(['jvb.portRangSize']);
    expect(jvbDeployments(await template(v))).toHaveLength(1);
  });

  it('a misspelt key deep inside (web.ingress.tls → web.ingress.tsl) and at the top (publicUrl) are caught', () => {
    const v = base();
    v.web.ingress.tsl = [{ secretName: 'meet-tls', hosts: ['meet.example.com'] }];
    v.publicUrl = v.publicURL;
    expect(unknownToChart(v).sort()).toEqual(['publicUrl', 'web.ingress.tsl']);
  });

  it.each([
    ['jvb.replicaCount as a string', (v: Any) => (v.jvb.replicaCount = '2'), 'jvb.replicaCount: got string, want number'],
    ['jvb.UDPPort as a string', (v: Any) => (v.jvb.UDPPort = '10000'), 'jvb.UDPPort: got string, want number'],
    ['octo.enabled as a string', (v: Any) => (v.octo.enabled = 'true'), 'octo.enabled: got string, want boolean'],
    ['an env value that is not a string', (v: Any) => (v.web.extraEnvs.RESOLUTION = 720), 'web.extraEnvs.RESOLUTION: got number, want string'],
  ])('a wrong type is caught: %s', (_name, mutate, message) => {
    const v = base();
    mutate(v);
    expect(typeMismatches(v)).toEqual([message]);
  });

  it('why env values must be strings: the chart copies a number through Go, 1500000 reaches the container as 1.5e+06', async () => {
    const v = base();
    v.jvb.extraEnvs.PROBE_BITRATE = 1500000;
    expect(configMapData(await template(v)).PROBE_BITRATE).toBe('1.5e+06');
  });
});
