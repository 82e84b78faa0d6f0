/** Flags → partial Config: one row per flag spelling, parsed by commander exactly as `init` registers them. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ANSWER_OPTIONS, flagsToConfig, prune, secretsFromEnv, type AnswerFlags } from '../../src/prompts/flags.js';
import { UsageError } from '../../src/errors.js';

function parse(argv: string[]): AnswerFlags {
  const cmd = new Command('init').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const o of ANSWER_OPTIONS) cmd.option(o.flags, o.description);
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<AnswerFlags>();
}

const draftOf = (argv: string[]) => flagsToConfig(parse(argv)).draft;

const ROWS: [string[], unknown][] = [
  [['--context', 'prod'], { cluster: { context: 'prod' } }],
  [['--namespace', 'meet'], { cluster: { namespace: 'meet' } }],
  [['--release', 'jm'], { cluster: { release: 'jm' } }],
  [['--domain', 'Meet.Example.com'], { domain: 'meet.example.com' }],
  [['--exposure', 'hostport'], { exposure: { mode: 'hostPort' } }],
  [['--turn'], { exposure: { turn: { enabled: true } } }],
  [['--no-turn'], { exposure: { turn: { enabled: false } } }],
  [['--public-ip', '203.0.113.10'], { exposure: { publicIP: '203.0.113.10' } }],
  [['--node-port', '30100'], { exposure: { nodePort: 30100 } }],
  [['--tailscale-hostname', 'meet'], { exposure: { tailscale: { hostname: 'meet' } } }],
  [['--pangolin-endpoint', 'https://pangolin.example.com'], { exposure: { pangolin: { endpoint: 'https://pangolin.example.com' } } }],
  [['--nodes', '5'], { nodes: { count: 5 } }],
  [['--node-cpu', '7.5'], { nodes: { cpu: 7.5 } }],
  [['--node-memory', '31.4'], { nodes: { memoryGiB: 31.4 } }],
  [['--web-replicas', '2'], { components: { web: { replicas: 2 } } }],
  [['--jvb-replicas', '4'], { components: { jvb: { replicas: 4 } } }],
  [['--autoscale'], { components: { jvb: { autoscale: { enabled: true } } } }],
  [['--no-autoscale'], { components: { jvb: { autoscale: { enabled: false } } } }],
  [['--autoscale-min', '2'], { components: { jvb: { autoscale: { min: 2 } } } }],
  [['--autoscale-max', '6'], { components: { jvb: { autoscale: { max: 6 } } } }],
  [['--autoscale-cpu', '65'], { components: { jvb: { autoscale: { cpuPercent: 65 } } } }],
  [['--autoscale-metric', 'stress'], { components: { jvb: { autoscale: { metric: 'stress' } } } }],
  [['--monitoring'], { monitoring: { enabled: true } }],
  [['--no-monitoring'], { monitoring: { enabled: false } }],
  [['--jibri'], { components: { jibri: { enabled: true } } }],
  [['--no-jibri'], { components: { jibri: { enabled: false } } }],
  [['--drain-timeout', '30m'], { components: { jvb: { drain: { timeout: '30m' } } } }],
  [['--jibri-replicas', '3'], { components: { jibri: { replicas: 3 } } }],
  [['--jigasi'], { components: { jigasi: { enabled: true } } }],
  [['--no-jigasi'], { components: { jigasi: { enabled: false } } }],
  [['--transcriber'], { components: { transcriber: { enabled: true } } }],
  [['--no-transcriber'], { components: { transcriber: { enabled: false } } }],
  [
    ['--storage-class', 'nfs'],
    { components: { jibri: { storage: { enabled: true, storageClass: 'nfs' } }, transcriber: { storage: { enabled: true, storageClass: 'nfs' } } } },
  ],
  [['--jibri-storage', '20Gi'], { components: { jibri: { storage: { enabled: true, size: '20Gi' } } } }],
  [['--jibri-storage', 'none'], { components: { jibri: { storage: { enabled: false } } } }],
  [['--transcriber-storage', '5Gi'], { components: { transcriber: { storage: { enabled: true, size: '5Gi' } } } }],
  [['--resolution', '1080'], { video: { resolution: 1080 } }],
  [['--simulcast'], { video: { simulcast: true } }],
  [['--no-simulcast'], { video: { simulcast: false } }],
  [['--codecs', 'vp8, VP9'], { video: { codecs: ['VP8', 'VP9'] } }],
  [['--ssrc-rewriting'], { video: { ssrcRewriting: true } }],
  [['--no-ssrc-rewriting'], { video: { ssrcRewriting: false } }],
  [['--last-n', '-1'], { video: { lastN: -1 } }],
  [['--tls', 'secret'], { tls: { mode: 'secret' } }],
  [['--tls-email', 'ops@example.com'], { tls: { email: 'ops@example.com' } }],
  [['--tls-secret', 'meet-tls'], { tls: { secretName: 'meet-tls' } }],
  [['--ingress-class', 'nginx'], { tls: { ingressClass: 'nginx' } }],
  [['--auth', 'JWT'], { auth: { mode: 'jwt' } }],
  [['--guests'], { auth: { guests: true } }],
  [['--no-guests'], { auth: { guests: false } }],
  [['--jwt-app-id', 'my-app'], { auth: { jwt: { appId: 'my-app' } } }],
  [
    ['--accounts-storage', '2Gi', '--storage-class', 'fast'],
    {
      auth: { accounts: { size: '2Gi', storageClass: 'fast' } },
      components: { jibri: { storage: { enabled: true, storageClass: 'fast' } }, transcriber: { storage: { enabled: true, storageClass: 'fast' } } },
    },
  ],
  [['--peak-participants', '900'], { expect: { peakParticipants: 900 } }],
  [['--room-size', '5'], { expect: { roomSize: 5 } }],
];

describe('flagsToConfig: one row per flag spelling', () => {
  it.each(ROWS)('%j', (argv, expected) => {
    expect(draftOf(argv)).toEqual(expected);
  });

  it('every registered flag spelling has a row', () => {
    const spellings = ANSWER_OPTIONS.map((o) => o.flags.split(' ')[0]);
    const tested = new Set(ROWS.map(([argv]) => argv[0]));
    // bitrate flags are checked below (they apply to the preferred codec)
    expect(spellings.filter((s) => !tested.has(s) && !s!.startsWith('--bitrate-'))).toEqual([]);
  });

  it.each([
    ['--bitrate-low', 'low'],
    ['--bitrate-standard', 'standard'],
    ['--bitrate-high', 'high'],
  ])('%s goes to the preferred-codec bitrates', (flag, layer) => {
    const r = flagsToConfig(parse([flag, '1500000']));
    expect(r.bitrates).toEqual({ [layer]: 1500000 });
    expect(r.draft).toEqual({});
  });

  it('no flags: an empty draft (nothing overrides the file or the questions)', () => {
    expect(flagsToConfig(parse([]))).toEqual({ draft: {}, bitrates: {} });
  });

  it.each([
    [['--nodes', 'three'], '--nodes: not a whole number (got "three")'],
    [['--node-cpu', '4 cores'], '--node-cpu: not a number'],
    [['--jvb-replicas', '1.5'], '--jvb-replicas: not a whole number'],
    [['--exposure', 'vpn'], '--exposure: "vpn" is not one of loadBalancer, nodePort, hostPort, tailscale, pangolin'],
    [['--tls', 'acme'], '--tls: "acme" is not one of letsencrypt, secret, none'],
    [['--auth', 'ldap'], '--auth: "ldap" is not one of open, accounts, jwt'],
    [['--codecs', 'VP9,theora'], '--codecs: "theora" is not one of VP9, VP8, H264, AV1'],
    [['--codecs', ','], '--codecs: name at least one codec'],
    [['--resolution', '900'], '--resolution: 900 is not one of 180, 360, 480, 540, 720, 1080'],
    [['--bitrate-high', '1.5M'], '--bitrate-high: not a whole number'],
    [['--drain-timeout', 'an hour'], "--drain-timeout: 'an hour' is not a duration"],
    [['--autoscale-metric', 'memory'], '--autoscale-metric: "memory" is not one of cpu, stress, participants'],
  ])('%j is a usage error naming the flag', (argv, message) => {
    const run = () => flagsToConfig(parse(argv));
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });
});

describe('helpers', () => {
  it('prune drops undefined leaves and empty objects but keeps false and 0', () => {
    expect(prune({ a: { b: undefined }, c: false, d: 0, e: [1], f: { g: { h: undefined } } })).toEqual({ c: false, d: 0, e: [1] });
  });

  it('VPN credentials come from the environment, both halves or none', () => {
    expect(secretsFromEnv({ TS_OAUTH_CLIENT_ID: 'id', TS_OAUTH_CLIENT_SECRET: 's', NEWT_ID: 'n' })).toEqual({
      tailscale: { clientId: 'id', clientSecret: 's' },
      newt: undefined,
      tailscalePartial: false,
      newtPartial: true,
    });
  });
});
