/**
 * verify's media checks, per bridge: the address it advertises is one clients can reach in this
 * exposure mode, and a signed STUN Binding Request to its UDP candidates is answered.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { ExposureMode } from '../config/schema.js';
import type { IceCandidate, ProbeEndpoint } from './colibri.js';
import type { BindingCheckResult } from './stun.js';
import type { VerifyCheck } from './verify-check.js';
import type { PodView } from './verify-pods.js';

/** How the site is exposed: what the advertised address and the media path are judged against. */
export interface VerifyExposure {
  mode: ExposureMode;
  publicIP?: string;
  udpPort: number;
}

export type AddressScope = 'public' | 'tailnet' | 'private' | 'loopback';

export function addressScope(ip: string): AddressScope {
  if (isIPv4(ip)) {
    const [a = 0, b = 0] = ip.split('.').map(Number);
    if (a === 127) return 'loopback';
    if (a === 100 && b >= 64 && b <= 127) return 'tailnet'; // CGNAT range: Tailscale addresses
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)) return 'private';
    return 'public';
  }
  const l = ip.toLowerCase();
  if (l === '::1') return 'loopback';
  if (l.startsWith('fd7a:115c:a1e0')) return 'tailnet';
  if (/^f[cd]/.test(l) || /^fe[89ab]/.test(l)) return 'private';
  return 'public';
}

/** Which address scope clients use in each exposure mode. */
const REACHED_THROUGH: Record<ExposureMode, AddressScope> = {
  loadBalancer: 'public',
  nodePort: 'public',
  hostPort: 'public',
  tailscale: 'tailnet',
  pangolin: 'public',
};

const fmtCandidate = (c: IceCandidate) => `${c.ip}:${c.port} (${c.type})`;

export function advertisedCheck(
  pod: PodView,
  endpoint: Pick<ProbeEndpoint, 'candidates'> | undefined,
  exposure: VerifyExposure,
  allocationError?: Error,
): VerifyCheck {
  const base = { id: `advertised:${pod.name}`, title: `${pod.name} advertises` };
  const env = pod.advertiseIPs ?? [];
  const udp = endpoint?.candidates.filter((c) => c.protocol === 'udp') ?? [];
  const ips = endpoint ? [...new Set(udp.map((c) => c.ip))] : env.map((e) => e.split('#')[0]!);
  const source = endpoint ? 'its colibri2 candidates' : 'JVB_ADVERTISE_IPS';
  const details = { candidates: endpoint?.candidates ?? [], advertiseIPs: env, expected: exposure.publicIP, ...(allocationError ? { allocationError: allocationError.message } : {}) };
  if (!endpoint && env.length === 0) {
    return { ...base, verdict: 'fail', message: `unknown: no probe endpoint (${allocationError?.message ?? 'not allocated'}) and no JVB_ADVERTISE_IPS in the pod`, hint: 'see the media check for why allocation failed', details };
  }
  if (exposure.publicIP) {
    if (ips.includes(exposure.publicIP)) {
      const shown = endpoint ? udp.filter((c) => c.ip === exposure.publicIP).map(fmtCandidate).join(', ') : exposure.publicIP;
      return { ...base, verdict: 'ok', message: `${shown} — as configured (exposure.publicIP)`, details };
    }
    return {
      ...base,
      verdict: 'fail',
      message: `${ips.join(', ') || 'no UDP address'} (from ${source}), but exposure.publicIP is ${exposure.publicIP}`,
      hint: 'clients get the advertised address: re-run `jitsi-k8s apply` so jvb.publicIPs (JVB_ADVERTISE_IPS) carries exposure.publicIP, or correct exposure.publicIP',
      details,
    };
  }
  const wanted = REACHED_THROUGH[exposure.mode];
  const reachable = ips.filter((ip) => addressScope(ip) === wanted);
  if (reachable.length) return { ...base, verdict: 'ok', message: `${reachable.join(', ')} (${wanted}; exposure.publicIP not set)`, details };
  return {
    ...base,
    verdict: 'warn',
    message: `only ${ips.map((ip) => `${ip} (${addressScope(ip)})`).join(', ') || 'no UDP address'}: no ${wanted} address`,
    hint: `clients ${wanted === 'tailnet' ? 'on the tailnet' : 'on the internet'} cannot reach this: set exposure.publicIP to the address they reach and re-apply`,
    details,
  };
}

// ---------------------------------------------------------------- UDP media

const TIMEOUT_HINTS: Record<ExposureMode, string> = {
  loadBalancer: 'the load balancer must carry UDP to the bridge (some managed LBs carry no UDP: then enable TURN or use hostPort), and firewalls must pass it',
  nodePort: 'open the UDP NodePort in the nodes\' firewall / security group, and make sure this machine can reach a node address',
  hostPort: 'open the UDP port on the node firewall / security group; the node needs a public IP or a port forward',
  tailscale: 'this machine must be on the tailnet, and the JVB Service must be exposed by the Tailscale operator',
  pangolin: 'on the Pangolin VPS: raw resources on (flags.allow_raw_resources), a Traefik UDP entrypoint and the Gerbil UDP port mapping, and a raised UDP session timeout',
};

export interface TargetOutcome {
  target: string;
  type: string;
  result: BindingCheckResult;
}

function describeOutcome(o: TargetOutcome): string {
  const r = o.result;
  switch (r.outcome) {
    case 'success':
      return `${o.target}: Binding Success in ${r.rttMs} ms (MESSAGE-INTEGRITY verified${r.mapped ? `; it sees us as ${r.mapped.address}:${r.mapped.port}` : ''})`;
    case 'error':
      return `${o.target}: Binding Error ${r.code} ${r.reason}`;
    case 'wrong-address':
      return `${o.target}: the answer came from ${r.from.address}:${r.from.port}`;
    case 'timeout':
      return `${o.target}: no answer after ${r.tries} tries in ${(r.elapsedMs / 1000).toFixed(1)} s`;
    case 'send-error':
      return `${o.target}: cannot send from this machine (${r.code})`;
  }
}

export function mediaCheck(pod: PodView, outcomes: TargetOutcome[], exposure: VerifyExposure): VerifyCheck {
  const base = { id: `media:${pod.name}`, title: `${pod.name} UDP media` };
  const details = { targets: outcomes.map((o) => ({ target: o.target, type: o.type, ...o.result })) };
  if (outcomes.length === 0) {
    return { ...base, verdict: 'fail', message: 'the bridge advertises no UDP candidate', hint: 'check jvb.publicIPs / JVB_ADVERTISE_IPS and the JVB log', details };
  }
  const success = outcomes.find((o) => o.result.outcome === 'success');
  const expected = exposure.publicIP ? outcomes.find((o) => o.target.startsWith(`${exposure.publicIP}:`) || o.target.startsWith(`[${exposure.publicIP}]:`)) : undefined;
  if (success) {
    if (expected && expected.result.outcome !== 'success') {
      return {
        ...base,
        verdict: 'warn',
        message: `${describeOutcome(success)}; but ${describeOutcome(expected)}`,
        hint: `clients use ${expected.target}: ${TIMEOUT_HINTS[exposure.mode]}`,
        details,
      };
    }
    return { ...base, verdict: 'ok', message: describeOutcome(success), details };
  }
  const wrong = outcomes.find((o) => o.result.outcome === 'wrong-address');
  if (wrong) {
    return {
      ...base,
      verdict: 'fail',
      message: describeOutcome(wrong),
      hint: 'a NAT or load balancer rewrites the source of the bridge\'s answers, and browsers drop those: use externalTrafficPolicy: Local on the JVB Service or hostPort, and advertise the address the answers leave from',
      details,
    };
  }
  const refused = outcomes.find((o) => o.result.outcome === 'error');
  if (refused) {
    return {
      ...base,
      verdict: 'fail',
      message: `${describeOutcome(refused)}: UDP gets there, but the agent does not know this endpoint`,
      hint: 'another bridge (or another ICE agent) answers on that address: with several bridges behind one Service each needs its own port (jvb.portRangeSize)',
      details,
    };
  }
  const unsendable = outcomes.filter((o) => o.result.outcome === 'send-error');
  if (unsendable.length === outcomes.length) {
    return {
      ...base,
      verdict: 'fail',
      message: outcomes.map(describeOutcome).join('; '),
      hint: 'this machine has no route to the advertised address (an IPv6 address without IPv6 here, or a VPN that is not up)',
      details,
    };
  }
  const seconds = (Math.max(...outcomes.map((o) => (o.result.outcome === 'timeout' ? o.result.elapsedMs : 0))) / 1000).toFixed(1);
  return {
    ...base,
    verdict: 'fail',
    message: `no answer from ${outcomes.filter((o) => o.result.outcome === 'timeout').map((o) => o.target).join(', ')} within ${seconds} s (7 tries each)${unsendable.length ? `; ${unsendable.map(describeOutcome).join('; ')}` : ''}: UDP media does not reach the bridge from here`,
    hint: TIMEOUT_HINTS[exposure.mode],
    details,
  };
}

export const targetOf = (c: IceCandidate) => (isIPv6(c.ip) ? `[${c.ip}]:${c.port}` : `${c.ip}:${c.port}`);

/** UDP candidates worth probing: deduplicated, the expected address first, then server-reflexive, then host. */
export function probeTargets(candidates: IceCandidate[], publicIP?: string): IceCandidate[] {
  const rank = (c: IceCandidate) => (c.ip === publicIP ? 0 : c.type === 'srflx' ? 1 : c.type === 'host' ? 2 : 3);
  const seen = new Set<string>();
  return candidates
    .filter((c) => c.protocol === 'udp')
    .sort((a, b) => rank(a) - rank(b))
    .filter((c) => (seen.has(targetOf(c)) ? false : (seen.add(targetOf(c)), true)));
}
