import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { validateConfig } from '../../src/config/validate.js';
import { input } from '../support/config.js';

function problems(overrides: Record<string, unknown>): string {
  try {
    validateConfig(input(overrides), 'jitsi-k8s.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('validateConfig: every problem names its path', () => {
  it.each([
    ['jvb replicas 0', { components: { jvb: { replicas: 0 } } }, 'components.jvb.replicas: must be ≥ 1 (got 0)'],
    ['jvb replicas 1.5', { components: { jvb: { replicas: 1.5 } } }, 'components.jvb.replicas: must be a whole number (got 1.5)'],
    ['jicofo replicas 2', { components: { jicofo: { replicas: 2 } } }, 'components.jicofo.replicas: the jitsi-meet chart runs exactly one jicofo'],
    ['prosody replicas 3', { components: { prosody: { replicas: 3 } } }, 'components.prosody.replicas: the jitsi-meet chart runs exactly one prosody'],
    ['jigasi replicas 2', { components: { jigasi: { enabled: true, replicas: 2 } } }, 'components.jigasi.replicas'],
    ['transcriber replicas 2', { components: { transcriber: { enabled: true, replicas: 2 } } }, 'components.transcriber.replicas'],
    ['domain with scheme', { domain: 'https://meet.example.com' }, 'domain: a DNS name'],
    ['domain uppercase', { domain: 'Meet.Example.com' }, 'domain: a DNS name'],
    ['domain single label', { domain: 'localhost' }, 'domain: a DNS name'],
    ['unknown key', { components: { jvb: { replica: 2 } } }, 'components.jvb: unknown key "replica"'],
    ['unknown exposure', { exposure: { mode: 'vpn' } }, 'exposure.mode:'],
    ['negative bitrate', { video: { bitrates: { vp8: { low: -1 } } } }, 'video.bitrates.vp8.low: must be > 0'],
    ['unordered bitrates', { video: { bitrates: { vp9: { low: 500000, standard: 300000 } } } }, 'video.bitrates.vp9.standard: must be ≥ low (500000) (got 300000)'],
    ['high below standard', { video: { bitrates: { vp8: { standard: 500000, high: 400000 } } } }, 'video.bitrates.vp8.high: must be ≥ standard'],
    ['hostPort more bridges than nodes', { nodes: { count: 2 }, exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 3 } } }, 'components.jvb.replicas: hostPort allows one bridge per node: 3 bridges need 3 nodes (nodes.count is 2)'],
    ['autoscale behind a Service', { components: { jvb: { autoscale: { enabled: true } } } }, 'components.jvb.autoscale.enabled: autoscaling needs exposure.mode hostPort'],
    ['autoscale min > max', { exposure: { mode: 'hostPort' }, components: { jvb: { autoscale: { enabled: true, min: 5, max: 2 } } } }, 'components.jvb.autoscale.min: must be ≤ max (2) (got 5)'],
    ['letsencrypt without email', { tls: { mode: 'letsencrypt', email: undefined } }, 'tls.email'],
    ['bad email', { tls: { email: 'not-an-email' } }, 'tls.email'],
    ['pangolin without endpoint', { exposure: { mode: 'pangolin' } }, 'exposure.pangolin.endpoint'],
    ['nodePort without port', { exposure: { mode: 'nodePort' } }, 'exposure.nodePort: nodePort mode needs'],
    ['nodePort out of range', { exposure: { mode: 'nodePort', nodePort: 8080 } }, 'exposure.nodePort: must be in the NodePort range 30000-32767 (got 8080)'],
    ['bad public IP', { exposure: { publicIP: '999.1.1.1' } }, 'exposure.publicIP'],
    ['extra public IPs without publicIP', { exposure: { publicIP: undefined, extraPublicIPs: ['203.0.113.11'] } }, 'exposure.extraPublicIPs: set exposure.publicIP first'],
    ['bad extra public IP', { exposure: { extraPublicIPs: ['elb.example'] } }, 'exposure.extraPublicIPs.0'],
    ['cpu limit quantity', { components: { web: { resources: { requests: { cpu: 'lots' } } } } }, 'components.web.resources.requests.cpu: a CPU quantity'],
    ['namespace', { cluster: { namespace: 'Jitsi_NS' } }, 'cluster.namespace'],
    ['wrong apiVersion', { apiVersion: 'v2' }, 'apiVersion'],
  ])('%s', (_name, overrides, expected) => {
    expect(problems(overrides)).toContain(expected);
  });

  it('lists all problems at once, with the file name', () => {
    const msg = problems({ domain: 'x', components: { jvb: { replicas: 0 }, web: { replicas: -1 } } });
    expect(msg).toMatch(/^jitsi-k8s\.yaml is not valid \(3 problems\)/);
    expect(msg).toContain('domain:');
    expect(msg).toContain('components.jvb.replicas');
    expect(msg).toContain('components.web.replicas');
  });

  it('accepts the minimal config and fills defaults', () => {
    const { config, warnings } = validateConfig(input());
    expect(config.cluster).toEqual({ namespace: 'jitsi', release: 'jitsi' });
    expect(config.components.jvb.replicas).toBe(1);
    expect(config.video.codecs).toEqual(['VP9', 'VP8', 'H264']);
    expect(config.tls.issuer).toBe('letsencrypt-prod');
    expect(config.tls.secretName).toBe('jitsi-web-tls');
    // an open site (the default, as before auth.mode existed) is a warning, not an error
    expect(config.auth).toMatchObject({ mode: 'open', guests: false });
    expect(warnings).toEqual([{ path: 'auth.mode', severity: 'warning', message: expect.stringMatching(/^open: anyone who finds the site can start meetings/) }]);
    expect(validateConfig(input({ auth: { mode: 'accounts' } })).warnings).toEqual([]);
  });

  it('auth: jwt names (app id, issuers, audiences) refuse what the image would split or the chart would template', () => {
    expect(validateConfig(input({ auth: { mode: 'jwt', jwt: { appId: 'my-app', issuers: ['my-app', 'https://portal.example.com/'], audiences: ['meet'] } } })).config.auth.jwt).toEqual({
      appId: 'my-app',
      issuers: ['my-app', 'https://portal.example.com/'],
      audiences: ['meet'],
    });
    expect(() => validateConfig(input({ auth: { mode: 'jwt', jwt: { issuers: ['a,b'] } } }))).toThrow(/auth\.jwt\.issuers\.0: letters, digits/);
    expect(() => validateConfig(input({ auth: { mode: 'jwt', jwt: { appId: '{{ .Values.x }}' } } }))).toThrow(/auth\.jwt\.appId/);
    expect(() => validateConfig(input({ auth: { mode: 'ldap' } }))).toThrow(/auth\.mode/);
  });

  it('warns (does not fail) on multi-replica jibri storage and on what does not fit', () => {
    const { warnings } = validateConfig(
      input({
        nodes: { count: 1, cpu: 2, memoryGiB: 4 },
        components: { jibri: { enabled: true, replicas: 2, storage: { size: '10Gi', accessMode: 'ReadWriteOnce' } } },
      }),
    );
    const paths = warnings.map((w) => w.path);
    expect(paths).toContain('components.jibri.storage.accessMode');
    expect(warnings.find((w) => w.path === 'nodes')?.message).toMatch(/does not fit/);
  });

  it.each([
    ['a domain that is not a tailnet name: the site is not known before apply', 'meet.example.com', {}, /meet\.example\.com is not a tailnet name .*PUBLIC_URL cannot be the site's address before apply .*it is https:\/\/meet\.example\.com until then.*set domain to jitsi\.<your tailnet>\.ts\.net/],
    ['a hostname that names another device than the domain', 'meet.tail1234.ts.net', { hostname: 'video' }, /the site is https:\/\/video\.tail1234\.ts\.net: exposure\.tailscale\.hostname is video; set domain to video\.tail1234\.ts\.net/],
    ['a saved tailnet name other than the domain', 'meet.tail1234.ts.net', { fqdn: 'meet-1.tail1234.ts.net' }, /the site is https:\/\/meet-1\.tail1234\.ts\.net: the name apply read/],
  ])('tailscale, %s: a warning on domain', (_what, domain, tailscale, message) => {
    const { warnings } = validateConfig(input({ domain, exposure: { mode: 'tailscale', publicIP: undefined, tailscale }, tls: { mode: 'none' } }));
    expect(warnings.filter((w) => w.path === 'domain').map((w) => w.message)).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ['the domain is the tailnet name', 'meet.tail1234.ts.net', {}],
    ['a saved tailnet name (domain not on the tailnet)', 'meet.example.com', { fqdn: 'jitsi.tail1234.ts.net' }],
  ])('tailscale, %s: no warning on domain', (_what, domain, tailscale) => {
    const { warnings } = validateConfig(input({ domain, exposure: { mode: 'tailscale', publicIP: undefined, tailscale }, tls: { mode: 'none' } }));
    expect(warnings.filter((w) => w.path === 'domain')).toEqual([]);
  });

  it('autoscale with hostPort is valid', () => {
    const { config } = validateConfig(input({ exposure: { mode: 'hostPort' }, components: { jvb: { replicas: 2, autoscale: { enabled: true, min: 2, max: 3 } } } }));
    expect(config.components.jvb.autoscale).toEqual({ enabled: true, min: 2, max: 3, cpuPercent: 70, metric: 'cpu', stressTarget: 0.6, participantsTarget: 100 });
  });
});
