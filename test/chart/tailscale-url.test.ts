/**
 * Tailscale's site address through the REAL jitsi-meet 3.4.0 chart and real helm: the web container's
 * PUBLIC_URL (the chart puts it in a ConfigMap the web Deployment takes with envFrom) is the full
 * tailnet name when the config knows it, and a full name (the domain) when it does not — never the
 * bare device name the operator's Ingress carries. The chart comes from test/support/chart.ts.
 */
import { describe, expect, it } from 'vitest';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { type Any, template } from '../support/chart.js';
import { config, FIXED_SECRETS } from '../support/config.js';

/** The environment the web container starts with: its envFrom ConfigMaps in order, then its env. */
function webEnv(docs: Any[]): Record<string, string> {
  const web = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'jitsi-jitsi-meet-web');
  if (!web) throw new Error(`no web Deployment among ${docs.map((d) => `${d.kind}/${d.metadata?.name}`).join(', ')}`);
  const container = web.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const name = from.configMapRef?.name;
    if (!name) continue;
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === name);
    if (!cm) throw new Error(`the web Deployment takes ConfigMap ${name}, which the chart did not render`);
    Object.assign(env, cm.data);
  }
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return env;
}

const tailscale = (domain: string, ts: Record<string, unknown> = {}) =>
  renderRelease(config({ domain, exposure: { mode: 'tailscale', publicIP: undefined, tailscale: ts }, tls: { mode: 'none' } }), FIXED_SECRETS);

describe('Tailscale PUBLIC_URL in the real chart', () => {
  it.each([
    ['the domain is the tailnet name (hostname as the wizard asks it)', 'meet.tail1234.ts.net', { hostname: 'meet' }, 'https://meet.tail1234.ts.net', 'meet'],
    ['the domain is the tailnet name, no hostname', 'meet.tail1234.ts.net', {}, 'https://meet.tail1234.ts.net', 'meet'],
    ['apply saved the tailnet name', 'meet.example.com', { hostname: 'meet', fqdn: 'meet.tail1234.ts.net' }, 'https://meet.tail1234.ts.net', 'meet'],
    ['the tailnet is not known yet: the domain, not the device name', 'meet.example.com', { hostname: 'meet' }, 'https://meet.example.com', 'meet'],
  ])('%s', async (_what, domain, ts, url, device) => {
    const docs = await template(fullValues(tailscale(domain, ts)));
    expect(webEnv(docs).PUBLIC_URL).toBe(url);
    // the operator names the machine after the first label of the Ingress's TLS host
    const ingress = docs.find((d) => d.kind === 'Ingress' && d.metadata.name === 'jitsi-jitsi-meet-web')!;
    expect(ingress.spec.ingressClassName).toBe('tailscale');
    expect(ingress.spec.tls[0].hosts).toEqual([device]);
  });

  it('without our publicURL the chart itself would take the bare device name from the Ingress (why we always set it)', async () => {
    const values = fullValues(tailscale('meet.tail1234.ts.net', { hostname: 'meet' }));
    delete values.publicURL;
    expect(webEnv(await template(values)).PUBLIC_URL).toBe('https://meet');
  });
});
