/**
 * Our values through the real jitsi-meet 3.4.0 chart (test/support/chart.ts) with real helm: what it
 * renders for bridges, env, secrets and the README's example config.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '../../src/config/validate.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { chartDir, template, type Any } from '../support/chart.js';
import { config, FIXED_SECRETS } from '../support/config.js';

const envOf = (d: Any) => Object.fromEntries((d.spec.template.spec.containers[0].env ?? []).map((e: Any) => [e.name, e.value ?? e.valueFrom]));

describe('jitsi-meet 3.4.0 chart with our values', () => {
  it('the chart is jitsi-meet 3.4.0', () => {
    expect(parse(readFileSync(join(chartDir(), 'Chart.yaml'), 'utf8'))).toMatchObject({ name: 'jitsi-meet', version: '3.4.0' });
  });

  it('loadBalancer, 4 bridges: four JVB Deployments, one Service with four UDP ports, advertised IP', async () => {
    const r = renderRelease(config({ components: { jvb: { replicas: 4 } } }), FIXED_SECRETS);
    const docs = await template(fullValues(r));
    const jvbs = docs.filter((d) => d.kind === 'Deployment' && d.metadata.name.includes('-jvb-'));
    expect(jvbs.map((d) => d.metadata.name).sort()).toEqual(r.jvbDeployments);
    const svc = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'jitsi-jitsi-meet-jvb')!;
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports.map((p: Any) => p.port)).toEqual([10000, 10001, 10002, 10003]);
    expect(envOf(jvbs[0]!).JVB_ADVERTISE_IPS).toBe('203.0.113.10');
    expect(jvbs[0]!.spec.template.spec.containers[0].resources.limits.cpu).toBeUndefined();
  });

  it('the chart itself refuses replicaCount > 1 behind a Service (why we use portRangeSize)', async () => {
    const r = renderRelease(config(), FIXED_SECRETS);
    const v = fullValues(r) as Any;
    v.jvb.replicaCount = 2;
    await expect(template(v)).rejects.toThrow(/jvb.replicaCount must be 1/);
  });

  it('hostPort, 3 bridges: one Deployment with 3 replicas, hostPort, no JVB Service', async () => {
    const r = renderRelease(config({ nodes: { count: 3 }, exposure: { mode: 'hostPort', publicIP: undefined }, components: { jvb: { replicas: 3 } } }), FIXED_SECRETS);
    const docs = await template(fullValues(r));
    const jvb = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'jitsi-jitsi-meet-jvb-0')!;
    expect(jvb.spec.replicas).toBe(3);
    expect(jvb.spec.template.spec.containers[0].ports.some((p: Any) => p.hostPort === 10000)).toBe(true);
    expect(docs.find((d) => d.kind === 'Service' && d.metadata.name === 'jitsi-jitsi-meet-jvb')).toBeUndefined();
  });

  it('env values reach the ConfigMaps as the strings we wrote', async () => {
    const r = renderRelease(config({ video: { bitrates: { vp8: { high: 1500000 } }, lastN: 7, codecs: ['VP8'] } }), FIXED_SECRETS);
    const docs = await template(fullValues(r));
    const all = docs.filter((d) => d.kind === 'ConfigMap').map((d) => JSON.stringify(d.data));
    expect(all.join()).toContain('"VIDEOQUALITY_BITRATE_VP8_HIGH":"1500000"');
    expect(all.join()).toContain('"ENABLE_CODEC_VP9":"false"');
    expect(all.join()).toContain('config.channelLastN = 7;');
  });

  it('secrets from our file land in the chart Secrets', async () => {
    const r = renderRelease(config({ components: { jibri: { enabled: true } } }), FIXED_SECRETS);
    const docs = await template(fullValues(r));
    const text = JSON.stringify(docs.filter((d) => d.kind === 'Secret'));
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(text.includes(FIXED_SECRETS.xmpp.jvb) || text.includes(b64(FIXED_SECRETS.xmpp.jvb))).toBe(true);
    expect(text.includes(FIXED_SECRETS.xmpp.recorder) || text.includes(b64(FIXED_SECRETS.xmpp.recorder))).toBe(true);
  });

  it("the README's example config renders through the real chart", async () => {
    const example = parse(readFileSync(new URL('../../examples/jitsi-k8s.yaml', import.meta.url), 'utf8'));
    const r = renderRelease(validateConfig(example).config, FIXED_SECRETS);
    const docs = await template(fullValues(r));
    expect(docs.filter((d) => d.kind === 'Deployment' && d.metadata.name.includes('-jvb-')).map((d) => d.metadata.name).sort()).toEqual(r.jvbDeployments);
    expect(docs.some((d) => d.kind === 'Deployment' && d.metadata.name.endsWith('-jibri'))).toBe(true);
  });

  it('tailscale, pangolin, nodePort + TURN all render', async () => {
    for (const o of [
      { exposure: { mode: 'tailscale', publicIP: undefined, tailscale: { hostname: 'meet' } } },
      { exposure: { mode: 'pangolin', pangolin: { endpoint: 'https://p.example.com' } }, components: { jvb: { replicas: 2 } } },
      { exposure: { mode: 'nodePort', nodePort: 30100, turn: { enabled: true } }, components: { jvb: { replicas: 2 } } },
    ]) {
      const docs = await template(fullValues(renderRelease(config(o), FIXED_SECRETS)));
      expect(docs.length).toBeGreaterThan(10);
    }
  });
});
