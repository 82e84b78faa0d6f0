/** Questions about how people reach Jitsi: exposure mode / VPN, TURN, addresses, VPN credentials. */
import { isIP } from 'node:net';
import { EXPOSURE } from '../config/exposure.js';
import { EXPOSURE_MODES, type ExposureMode } from '../config/schema.js';
import type { Prompter } from './prompter.js';

export async function askExposure(p: Prompter, current: ExposureMode): Promise<ExposureMode> {
  p.note('Exposure: web needs TCP 443, media needs UDP 10000 (+1 per extra bridge behind a Service). This decides who can join.');
  return p.select({
    name: 'exposure',
    message: 'How do people reach Jitsi?',
    choices: EXPOSURE_MODES.map((m) => ({ value: m, name: `${m} — ${EXPOSURE[m].title}`, description: `who can join: ${EXPOSURE[m].reach}` })),
    default: current,
  });
}

export async function askTurn(p: Prompter, current: boolean): Promise<boolean> {
  p.note('TURN (coturn): relays media over TCP/TLS for people whose network blocks UDP; costs bandwidth through the relay.');
  return p.confirm({ name: 'turn', message: 'Run a TURN relay?', default: current });
}

function validateIp(required: boolean): (v: string) => true | string {
  return (v) => {
    if (v === '') return required ? 'the bridge must advertise an address clients reach' : true;
    return isIP(v) ? true : 'an IPv4 or IPv6 address, e.g. 203.0.113.10';
  };
}

const PUBLIC_IP_NOTE: Record<ExposureMode, string> = {
  loadBalancer: 'leave empty to advertise the load balancer address once it is assigned',
  nodePort: 'leave empty to advertise the node address; set it when clients reach the nodes through NAT',
  hostPort: 'leave empty to advertise the node address; set it when clients reach the nodes through NAT',
  tailscale: 'the Tailscale operator assigns a 100.x address',
  pangolin: 'the public address of your Pangolin VPS (required)',
};

/** Empty answer = not set (undefined). */
export async function askPublicIP(p: Prompter, current: string | undefined, mode: ExposureMode): Promise<string | undefined> {
  const required = mode === 'pangolin';
  p.note(`Public IP: the address the video bridge advertises to clients — ${PUBLIC_IP_NOTE[mode]}.`);
  const v = await p.input({ name: 'publicIP', message: required ? 'VPS public IP' : 'Public IP (optional)', default: current, validate: validateIp(required) });
  return v === '' ? undefined : v;
}

export async function askNodePort(p: Prompter, current: number): Promise<number> {
  p.note('NodePort: the first UDP port on every node for media (one more per extra bridge); open it in your firewall.');
  return p.number({ name: 'nodePort', message: 'First media NodePort', default: current, min: 30000, max: 32767 });
}

export async function askTailscaleHostname(p: Prompter, current: string | undefined): Promise<string | undefined> {
  p.note('Tailscale: meetings are for tailnet members only (Funnel cannot carry UDP media). The operator gives the site a tailnet name.');
  const v = await p.input({ name: 'tailscaleHostname', message: 'Tailnet host name (optional)', default: current, validate: (s) => (s === '' || /^[a-z0-9-]+$/.test(s) ? true : 'letters, digits and -') });
  return v === '' ? undefined : v;
}

const nonEmpty = (what: string) => (v: string) => (v.trim() === '' ? `${what} cannot be empty` : true);

/** Secrets: asked masked, returned to the caller for the 0600 secrets file only. */
export async function askTailscaleOAuth(p: Prompter): Promise<{ clientId: string; clientSecret: string }> {
  p.note('Tailscale OAuth client (admin console → Settings → OAuth clients; scopes Devices Core, Auth Keys, Services write; tag tag:k8s-operator). Stored only in the 0600 secrets file.');
  const clientId = await p.password({ name: 'tailscaleClientId', message: 'OAuth client ID', validate: nonEmpty('the client ID') });
  const clientSecret = await p.password({ name: 'tailscaleClientSecret', message: 'OAuth client secret', validate: nonEmpty('the client secret') });
  return { clientId: clientId.trim(), clientSecret: clientSecret.trim() };
}

export function validateUrl(v: string): true | string {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:' ? true : 'an http(s) URL';
  } catch {
    return 'a URL such as https://pangolin.example.com';
  }
}

export async function askPangolinEndpoint(p: Prompter, current: string | undefined): Promise<string> {
  p.note('Pangolin: Newt runs in the cluster and tunnels to your Pangolin VPS; anyone on the internet can join through the VPS (raw UDP resources must be enabled there).');
  return p.input({ name: 'pangolinEndpoint', message: 'Pangolin server URL', default: current, validate: validateUrl });
}

export async function askNewtCredentials(p: Prompter): Promise<{ id: string; secret: string }> {
  p.note('Newt credentials (Pangolin → Sites → your site). Stored only in the 0600 secrets file.');
  const id = await p.password({ name: 'newtId', message: 'Newt ID', validate: nonEmpty('the Newt ID') });
  const secret = await p.password({ name: 'newtSecret', message: 'Newt secret', validate: nonEmpty('the Newt secret') });
  return { id: id.trim(), secret: secret.trim() };
}

/** What the user must do on the Pangolin VPS: the wizard cannot. */
export function pangolinVpsSteps(udpPort: number, bridges: number): string[] {
  const last = udpPort + bridges - 1;
  const range = bridges > 1 ? `${udpPort}-${last}` : String(udpPort);
  return [
    'On the Pangolin VPS (jitsi-k8s cannot do these):',
    '  1. config.yml: flags.allow_raw_resources: true',
    `  2. Traefik: a UDP entrypoint per media port (${range}), e.g. "udp-${udpPort}: address: ':${udpPort}/udp'", and raise its UDP session timeout (default 3s)`,
    `  3. Gerbil: publish ${range}:${range}/udp in its port mappings`,
    `  4. Pangolin: a raw UDP resource on port ${range} → the JVB Service in the cluster; an HTTPS resource for the domain → the web Service`,
    '  5. avoid Traefik 3.6.0 (its UDP routing is broken); TURNS cannot share 443 with Traefik (use 5349)',
  ];
}
