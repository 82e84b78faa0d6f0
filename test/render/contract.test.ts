/**
 * The value contract with chart jitsi-meet 3.4.0, with real helm. test/fixtures/jitsi-meet-contract is
 * a chart of ours whose values.schema.json (scripts/contract-schema.mjs, from the chart's key list)
 * closes every object: `helm lint` and `helm template` of it with our values fail on a misspelt key or
 * a wrong type — the real chart would silently ignore the first and mis-render the second.
 * With JITSI_HELM_CHART_DIR (alias JITSI_MEET_CHART_DIR) set to the real chart, the same configs are
 * also templated through it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { run } from '../../src/cluster/exec.js';
import { chartValues, contractChart, realChart, WITH_STORAGE, type Any } from '../support/contract-chart.js';
import { helmBin, repoRoot } from '../support/tools.js';

const tmp = mkdtempSync(join(tmpdir(), 'jk8s-contract-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function valuesFile(values: unknown): string {
  const file = join(tmp, `values-${n++}.yaml`);
  writeFileSync(file, stringify(values), { mode: 0o600 });
  return file;
}

/** helm with stdout and stderr both kept (lint reports on stdout), never throwing. */
async function helm(args: string[]): Promise<{ ok: boolean; out: string }> {
  const lines: string[] = [];
  try {
    await run(helmBin(), args, { onLine: (l) => lines.push(l) });
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
];

const rendered = CASES.map(([name, overrides]) => [name, chartValues(overrides)] as const);

describe('values against the jitsi-meet 3.4.0 contract schema (real helm)', () => {
  it('the committed schema is what scripts/contract-schema.mjs generates from the key list', async () => {
    const res = await run(process.execPath, [join(repoRoot, 'scripts/contract-schema.mjs'), '--stdout']);
    expect(res.stdout).toBe(readFileSync(join(contractChart, 'values.schema.json'), 'utf8'));
    const schema = JSON.parse(res.stdout);
    expect(schema.properties.jvb.additionalProperties).toBe(false);
    expect(schema.properties.jvb.properties.service.additionalProperties).toBe(false);
    expect(schema.properties.jvb.properties.extraEnvs).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
  });

  it.each(rendered)('%s: helm lint and helm template pass', async (_name, values) => {
    const file = valuesFile(values);
    const lint = await helm(['lint', contractChart, '-f', file]);
    expect(lint.out).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.ok).toBe(true);
    const res = await run(helmBin(), ['template', 'jitsi', contractChart, '-n', 'jitsi', '-f', file]);
    const cm = parseAllDocuments(res.stdout).map((d) => d.toJS()).find((d) => d?.kind === 'ConfigMap');
    // the values reached the chart: the echo template shows what we rendered
    expect(cm.data).toEqual({
      publicURL: values.publicURL,
      jvbReplicaCount: String(values.jvb.replicaCount),
      jvbPortRangeSize: String(values.jvb.portRangeSize),
      jvbUDPPort: String(values.jvb.UDPPort),
    });
  });

  const base = () => structuredClone(rendered[0]![1]);

  it('a misspelt key fails lint and template, naming the key', async () => {
    const v = base();
    v.jvb.portRangSize = v.jvb.portRangeSize;
    delete v.jvb.portRangeSize;
    const file = valuesFile(v);
    const lint = await helm(['lint', contractChart, '-f', file]);
    expect(lint.ok).toBe(false);
    expect(lint.out).toMatch(/at '\/jvb': additional properties 'portRangSize' not allowed/);
    const tpl = await helm(['template', 'jitsi', contractChart, '-f', file]);
    expect(tpl.ok).toBe(false);
    expect(tpl.out).toMatch(/additional properties 'portRangSize' not allowed/);
  });

  it('a misspelt key deep inside (web.ingress.tls → web.ingress.tsl) and at the top (publicUrl) fail', async () => {
    const v = base();
    v.web.ingress.tsl = v.web.ingress.tls;
    v.publicUrl = v.publicURL;
    const tpl = await helm(['template', 'jitsi', contractChart, '-f', valuesFile(v)]);
    expect(tpl.ok).toBe(false);
    expect(tpl.out).toMatch(/at '\/web\/ingress': additional properties 'tsl' not allowed/);
    expect(tpl.out).toMatch(/additional properties 'publicUrl' not allowed/);
  });

  it.each([
    ['jvb.replicaCount as a string', (v: Any) => (v.jvb.replicaCount = '2'), /at '\/jvb\/replicaCount': got string, want integer/],
    ['jvb.UDPPort as a string', (v: Any) => (v.jvb.UDPPort = '10000'), /at '\/jvb\/UDPPort': got string, want integer/],
    ['octo.enabled as a string', (v: Any) => (v.octo.enabled = 'true'), /at '\/octo\/enabled': got string, want boolean/],
    ['an env value that is not a string', (v: Any) => (v.web.extraEnvs.RESOLUTION = 720), /at '\/web\/extraEnvs\/RESOLUTION': got number, want string/],
    ['publicIPs as a string', (v: Any) => (v.jvb.publicIPs = '203.0.113.10'), /at '\/jvb\/publicIPs': got string, want array/],
  ])('a wrong type fails: %s', async (_name, mutate, message) => {
    const v = base();
    mutate(v);
    const tpl = await helm(['template', 'jitsi', contractChart, '-f', valuesFile(v)]);
    expect(tpl.ok).toBe(false);
    expect(tpl.out).toMatch(message);
  });
});

if (!realChart) console.log('contract.test: JITSI_HELM_CHART_DIR unset — the real jitsi-meet chart runs of these configs are skipped');

describe.skipIf(!realChart)('the same configs through the real chart (JITSI_HELM_CHART_DIR)', () => {
  it('the real chart default values pass the contract schema (it rejects nothing the chart reads)', async () => {
    const lint = await helm(['lint', contractChart, '-f', join(realChart, 'values.yaml')]);
    expect(lint.out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it.each(rendered)('%s: helm template of the real chart renders', async (_name, values) => {
    const res = await run(helmBin(), ['template', 'jitsi', realChart, '-n', 'jitsi', '-f', valuesFile(values)]);
    const docs = parseAllDocuments(res.stdout).map((d) => d.toJS()).filter(Boolean) as Any[];
    const jvbs = docs.filter((d) => d.kind === 'Deployment' && /-jvb-\d+$/.test(d.metadata.name));
    expect(jvbs).toHaveLength(values.jvb.portRangeSize);
    expect(jvbs[0]!.spec.replicas).toBe(values.jvb.replicaCount);
  });
});
