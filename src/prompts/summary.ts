/** The summary the wizard shows before asking for confirmation (stderr). Pure: config → lines. */
import type { ClusterFacts } from '../cluster/facts.js';
import { authLine } from '../config/auth.js';
import { EXPOSURE } from '../config/exposure.js';
import type { Config } from '../config/schema.js';
import { describeCapacity, formatCpu, formatMemory, sizeRelease } from '../config/sizing.js';
import { formatIssue, type ConfigIssue } from '../config/validate.js';
import { formatTable } from '../ui/table.js';
import { pangolinVpsSteps } from './ask-exposure.js';

export interface SummaryInput {
  config: Config;
  warnings: ConfigIssue[];
  facts?: ClusterFacts;
  configPath: string;
  secretsPath: string;
  /** VPN credentials that will go to the secrets file (names only are shown) */
  vpnSecrets: string[];
}

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;
const cores = (milli: number) => `${(milli / 1000).toFixed(1)} CPU`;

function tlsLine(c: Config): string {
  if (c.exposure.mode === 'tailscale') return 'HTTPS by the Tailscale operator (ts.net certificate)';
  if (c.exposure.mode === 'pangolin') return 'HTTPS by Pangolin';
  if (c.tls.mode === 'letsencrypt') return `Let's Encrypt via cert-manager (${c.tls.email ?? '?'})`;
  if (c.tls.mode === 'secret') return `existing Secret ${c.tls.secretName ?? '?'}`;
  return 'none (plain HTTP: put your own TLS proxy in front)';
}

export function formatSummary(s: SummaryInput): string[] {
  const c = s.config;
  const sizing = sizeRelease(c);
  const rows = sizing.components.map((x) => [
    x.component,
    x.replicas,
    formatCpu(x.cpuMilli),
    formatMemory(x.memoryMiB),
    x.memoryLimitMiB !== undefined ? formatMemory(x.memoryLimitMiB) : '-',
    cores(x.cpuMilli * x.replicas),
    gib(x.memoryMiB * x.replicas),
  ]);
  const exposure = EXPOSURE[c.exposure.mode];
  const bridges = c.components.jvb.replicas;
  const lines: string[] = [
    '',
    `Summary — ${c.domain} (release ${c.cluster.release} in namespace ${c.cluster.namespace}${c.cluster.context ? `, context ${c.cluster.context}` : ''})`,
    '',
    formatTable(['component', 'replicas', 'cpu/pod', 'memory/pod', 'mem limit', 'cpu total', 'memory total'], rows),
    '',
    `requests:  ${cores(sizing.totalCpuMilli)} / ${gib(sizing.totalMemoryMiB)}`,
    `capacity:  ${cores(sizing.capacityCpuMilli)} / ${gib(sizing.capacityMemoryMiB)} usable on ${c.nodes.count} node(s) of ${c.nodes.cpu} CPU / ${c.nodes.memoryGiB} GiB`,
  ];
  if (s.facts) {
    const sizes = s.facts.nodes.sizes.map((n) => `${n.count}× ${n.cpu} CPU / ${n.memoryGiB} GiB`).join(', ');
    const cpu = s.facts.nodes.sizes.reduce((t, n) => t + n.cpu * n.count, 0);
    const mem = s.facts.nodes.sizes.reduce((t, n) => t + n.memoryGiB * n.count, 0);
    lines.push(`cluster:   ${s.facts.context}: ${s.facts.nodes.schedulable} schedulable node(s)${sizes ? ` (${sizes}) = ${+cpu.toFixed(1)} CPU / ${+mem.toFixed(1)} GiB in all` : ''}`);
  }
  if (sizing.fitProblems.length > 0) {
    lines.push('', 'does not fit:', ...sizing.fitProblems.map((p) => `  - ${p}`));
  } else {
    lines.push('fits:      yes');
  }
  if (c.components.jvb.autoscale.enabled) {
    const a = c.components.jvb.autoscale;
    const on = a.metric === 'cpu' ? `${a.cpuPercent}% CPU` : a.metric === 'stress' ? `stress ${a.stressTarget} (${a.engine ?? 'keda'})` : `${a.participantsTarget} participants (${a.engine ?? 'keda'})`;
    lines.push(`autoscale: ${a.min}-${a.max} bridges at ${on}`);
  }
  if (c.monitoring.enabled) lines.push('monitoring: monitors, alerting rules and dashboards for the Prometheus operator');
  lines.push(`draining:  a bridge that stops lets its meetings end first, up to ${c.components.jvb.drain.timeout}`);
  lines.push(
    '',
    `exposure:  ${exposure.title}${c.exposure.turn.enabled ? ' + TURN relay' : ''}${c.exposure.publicIP ? `, advertising ${c.exposure.publicIP}` : ''}`,
    `who joins: ${exposure.reach}`,
    `who starts: ${authLine(c)}`,
    `TLS:       ${tlsLine(c)}`,
    `video:     ${c.video.resolution}p, simulcast ${c.video.simulcast ? 'on' : 'off'}, codecs ${c.video.codecs.join(' > ')}, SSRC rewriting ${c.video.ssrcRewriting ? 'on' : 'off'}, last-N ${c.video.lastN ?? 'default'}`,
    '',
    ...describeCapacity(sizing),
  );
  if (c.exposure.mode === 'pangolin') lines.push('', ...pangolinVpsSteps(c.exposure.udpPort, bridges));
  // fit problems are listed above already
  const warnings = s.warnings.filter((w) => !(w.path === 'nodes' && w.message.startsWith('does not fit')));
  if (warnings.length > 0) lines.push('', 'warnings:', ...warnings.map((w) => `  - ${formatIssue(w)}`));
  lines.push(
    '',
    `writes:    ${s.configPath}`,
    `           ${s.secretsPath} (mode 0600: internal passwords${s.vpnSecrets.length > 0 ? `, ${s.vpnSecrets.join(', ')}` : ''})`,
  );
  return lines;
}
