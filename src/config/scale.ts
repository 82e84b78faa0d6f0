/**
 * `scale` as a pure change of the Config: which keys move, what it means for the exposure mode,
 * and the refusals (components the chart fixes at one pod, autoscaling where it cannot work).
 */
import { CommandError, UsageError } from '../errors.js';
import { EXPOSURE, jvbUdpPorts } from './exposure.js';
import { COMPONENTS, FIXED_SINGLE, SCALABLE, type ComponentName, type Config } from './schema.js';
import { crossFieldIssues, formatIssue } from './validate.js';

export interface ScaleRequest {
  component: string;
  /** new number of pods (absent with --auto, or when only --min/--max change) */
  count?: number;
  auto?: boolean;
  min?: number;
  max?: number;
  cpuPercent?: number;
}

export interface ScaleChange {
  config: Config;
  component: 'web' | 'jvb' | 'jibri';
  from: number;
  to: number;
  /** human lines: what changes and what it means (ports, nodes, octo) */
  effects: string[];
  /** fewer pods than before: meetings or recordings on the removed pods end */
  scalingIn: boolean;
}

const whole = (name: string, v: number | undefined, min: number): void => {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${name} must be a whole number ≥ ${min} (got ${v})`);
};

/** Parses a count from argv: digits only ("3"), else a usage error naming what was given. */
export function parseCount(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${what} must be a whole number ≥ 0 (got "${text}")`);
  return Number(text);
}

export function planScaleChange(current: Config, req: ScaleRequest): ScaleChange {
  const name = req.component as ComponentName;
  if (!(COMPONENTS as readonly string[]).includes(req.component)) {
    throw new UsageError(`unknown component "${req.component}"`, `scale one of: ${SCALABLE.join(', ')}`);
  }
  if ((FIXED_SINGLE as readonly string[]).includes(name)) {
    throw new CommandError(
      `${name} cannot be scaled: the jitsi-meet chart runs exactly one ${name}`,
      name === 'jicofo' || name === 'prosody'
        ? 'one focus and one XMPP server carry a deployment; add bridges (`jitsi-k8s scale jvb N`) for more meetings'
        : `${name} runs as a single pod in chart 3.4.0`,
    );
  }
  const component = name as ScaleChange['component'];
  whole('count', req.count, component === 'jvb' ? 1 : 0);
  whole('--min', req.min, 1);
  whole('--max', req.max, 1);
  if (req.cpuPercent !== undefined && (!Number.isInteger(req.cpuPercent) || req.cpuPercent < 10 || req.cpuPercent > 100)) {
    throw new UsageError(`--cpu must be a whole percent from 10 to 100 (got ${req.cpuPercent})`);
  }
  const touchesAutoscale = req.auto !== undefined || req.min !== undefined || req.max !== undefined || req.cpuPercent !== undefined;
  if (component !== 'jvb' && touchesAutoscale) throw new UsageError('--auto, --min, --max and --cpu apply to jvb only');
  if (req.count === undefined && !touchesAutoscale) throw new UsageError(`how many ${component} pods? e.g. \`jitsi-k8s scale ${component} 3\``);

  const config = structuredClone(current);
  const effects: string[] = [];
  let from: number;
  let to: number;
  if (component === 'web') {
    from = config.components.web.replicas;
    to = req.count ?? from;
    config.components.web.replicas = to;
    effects.push(`web.replicaCount ${from} → ${to}`);
  } else if (component === 'jibri') {
    from = config.components.jibri.enabled ? config.components.jibri.replicas : 0;
    to = req.count ?? from;
    config.components.jibri.enabled = to > 0;
    config.components.jibri.replicas = Math.max(to, 1);
    effects.push(to === 0 ? 'jibri off (recording and streaming unavailable)' : `jibri.replicaCount ${from} → ${to} (one recording at a time per pod)`);
    if (to > 1 && config.components.jibri.storage?.enabled && config.components.jibri.storage.accessMode === 'ReadWriteOnce') {
      effects.push('warning: more than one jibri shares the recordings volume: it needs ReadWriteMany');
    }
  } else {
    const jvb = config.components.jvb;
    const mode = config.exposure.mode;
    const spec = EXPOSURE[mode];
    from = jvb.replicas;
    if (req.auto === true) {
      if (spec.behindService) {
        throw new CommandError(
          `JVB autoscaling cannot work in ${mode} mode`,
          `behind a Service every bridge has its own Deployment and UDP port, so a second pod of one breaks media; scale by count (\`jitsi-k8s scale jvb N\`) or switch exposure.mode to hostPort`,
        );
      }
      jvb.autoscale.enabled = true;
    }
    if (req.auto === false) jvb.autoscale.enabled = false;
    if (req.min !== undefined) jvb.autoscale.min = req.min;
    if (req.max !== undefined) jvb.autoscale.max = req.max;
    if (req.cpuPercent !== undefined) jvb.autoscale.cpuPercent = req.cpuPercent;
    to = req.count ?? (jvb.autoscale.enabled ? Math.min(Math.max(from, jvb.autoscale.min), jvb.autoscale.max) : from);
    if (jvb.autoscale.enabled && req.count !== undefined && (req.count < jvb.autoscale.min || req.count > jvb.autoscale.max)) {
      throw new UsageError(
        `autoscaling keeps the bridges between ${jvb.autoscale.min} and ${jvb.autoscale.max}: ${req.count} would be undone by the HorizontalPodAutoscaler`,
        `move the range instead: \`jitsi-k8s scale jvb --min ${Math.min(req.count, jvb.autoscale.min)} --max ${Math.max(req.count, jvb.autoscale.max)}\`, or turn autoscaling off with --no-auto`,
      );
    }
    jvb.replicas = to;
    if (spec.behindService) {
      effects.push(`jvb.portRangeSize ${from} → ${to} (one Deployment and one UDP port per bridge)`);
      const ports = jvbUdpPorts(mode, config.exposure.udpPort, to);
      const portText = ports.length === 1 ? `${ports[0]}` : `${ports[0]}-${ports[ports.length - 1]}`;
      if (mode === 'nodePort' && config.exposure.nodePort !== undefined) {
        effects.push(`open UDP NodePorts ${config.exposure.nodePort}-${config.exposure.nodePort + to - 1} on the nodes' firewall`);
      } else {
        effects.push(`UDP ${portText} must be open ${mode === 'loadBalancer' ? 'on the load balancer and firewall' : mode === 'pangolin' ? 'on the Pangolin VPS (one raw UDP resource per port)' : 'on the tailnet (the operator exposes them)'}`);
      }
    } else {
      effects.push(`jvb.replicaCount ${from} → ${to} (hostPort: one bridge per node, ${to} schedulable nodes needed)`);
    }
    const a = jvb.autoscale;
    const on = a.metric === 'cpu' ? `${a.cpuPercent}% CPU` : a.metric === 'stress' ? `stress ${a.stressTarget} per bridge` : `${a.participantsTarget} participants per bridge`;
    if (a.enabled) effects.push(`autoscaling ${a.min}-${a.max} bridges at ${on}`);
    const octoBefore = from > 1 || current.components.jvb.autoscale.enabled;
    const octoAfter = to > 1 || jvb.autoscale.enabled;
    if (octoBefore !== octoAfter) effects.push(`octo (bridge relay) ${octoAfter ? 'on' : 'off'}`);
  }
  const errors = crossFieldIssues(config).filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new UsageError(`cannot scale ${component} to ${to}: ${errors.map(formatIssue).join('; ')}`);
  return { config, component, from, to, effects, scalingIn: to < from };
}
