/**
 * Staged validation: parse (zod: types, ranges) → normalise (fill derived defaults) → cross-field
 * rules. Every problem names its path, e.g. `components.jvb.replicas: must be ≥ 1 (got 0)`.
 */
import { OPEN_WARNING } from './auth.js';
import type * as z from './zod.js';
import { UsageError } from '../errors.js';
import { EXPOSURE, splitTailnetName, tailnetSiteName, tailscaleWebDevice } from './exposure.js';
import { FIXED_SINGLE, configSchema, type BitrateLayers, type Config } from './schema.js';
import { sizeRelease } from './sizing.js';

export interface ConfigIssue {
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface Validated {
  config: Config;
  warnings: ConfigIssue[];
}

export function formatIssue(i: ConfigIssue): string {
  return i.path ? `${i.path}: ${i.message}` : i.message;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  const s = JSON.stringify(input);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function zodIssues(error: z.core.$ZodError): ConfigIssue[] {
  return error.issues.map((i) => {
    const raw = i as { input?: unknown; code: string };
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    else if ('input' in raw && raw.code !== 'invalid_union') message = `${message} (got ${describeInput(raw.input)})`;
    return { path: i.path.map(String).join('.'), message, severity: 'error' as const };
  });
}

/** Stage 2: derived defaults, so later stages and render see one complete picture. */
export function normalise(config: Config): Config {
  const c = structuredClone(config);
  if (c.components.jibri.enabled && !c.components.jibri.storage) {
    c.components.jibri.storage = { enabled: false, size: '4Gi' };
  }
  if (c.components.transcriber.enabled && !c.components.transcriber.storage) {
    c.components.transcriber.storage = { enabled: false, size: '10Gi' };
  }
  if (c.exposure.turn.enabled && !c.exposure.turn.host) c.exposure.turn.host = `turn.${c.domain}`;
  if (c.tls.mode === 'letsencrypt') c.tls.issuer ??= 'letsencrypt-prod';
  if (c.tls.mode !== 'none') c.tls.secretName ??= `${c.cluster.release}-web-tls`;
  if (c.exposure.mode === 'tailscale') c.exposure.tailscale ??= { installOperator: true };
  return c;
}

function bitrateOrder(path: string, layers: BitrateLayers | undefined): ConfigIssue[] {
  if (!layers) return [];
  const order = ['low', 'standard', 'high', 'full', 'ultra'] as const;
  const out: ConfigIssue[] = [];
  let prev: { name: string; value: number } | undefined;
  for (const name of order) {
    const value = layers[name];
    if (value === undefined) continue;
    if (prev && value < prev.value) {
      out.push({ path: `${path}.${name}`, message: `must be ≥ ${prev.name} (${prev.value}) (got ${value})`, severity: 'error' });
    }
    prev = { name, value };
  }
  return out;
}

/** Tailscale: the site is `<device>.<tailnet>.ts.net`; say when the config cannot know it yet, or names another one. */
function tailnetNameIssues(c: Config): ConfigIssue[] {
  const device = tailscaleWebDevice(c);
  const site = tailnetSiteName(c);
  if (!site) {
    return [{
      path: 'domain',
      severity: 'warning',
      message: `${c.domain} is not a tailnet name (<device>.<tailnet>.ts.net), so PUBLIC_URL cannot be the site's address before apply reads it (it is https://${c.domain} until then); to render it now, set domain to ${device}.<your tailnet>.ts.net (the tailnet name is under DNS in the Tailscale admin console)`,
    }];
  }
  if (splitTailnetName(c.domain) && site !== c.domain) {
    const why = c.exposure.tailscale?.fqdn ? 'the name apply read from the web Ingress (exposure.tailscale.fqdn)' : `exposure.tailscale.hostname is ${device}`;
    return [{ path: 'domain', severity: 'warning', message: `${c.domain}, but the site is https://${site}: ${why}; set domain to ${site} so that verify and bench open the site` }];
  }
  return [];
}

/** Stage 3: rules that look at more than one field. */
export function crossFieldIssues(c: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const err = (path: string, message: string) => issues.push({ path, message, severity: 'error' });
  const warn = (path: string, message: string) => issues.push({ path, message, severity: 'warning' });

  for (const name of FIXED_SINGLE) {
    const r = c.components[name].replicas;
    if (r !== undefined && r !== 1) {
      err(`components.${name}.replicas`, `the jitsi-meet chart runs exactly one ${name}; it cannot be scaled (got ${r})`);
    }
  }
  const jvb = c.components.jvb;
  const spec = EXPOSURE[c.exposure.mode];
  if (c.exposure.mode === 'hostPort' && jvb.replicas > c.nodes.count) {
    err('components.jvb.replicas', `hostPort allows one bridge per node: ${jvb.replicas} bridges need ${jvb.replicas} nodes (nodes.count is ${c.nodes.count})`);
  }
  if (jvb.autoscale.enabled) {
    if (spec.behindService) {
      err(
        'components.jvb.autoscale.enabled',
        `autoscaling needs exposure.mode hostPort: behind a Service (${c.exposure.mode}) each bridge Deployment must keep one pod, so a second pod of it breaks media; set components.jvb.replicas instead, or use hostPort`,
      );
    }
    if (jvb.autoscale.min > jvb.autoscale.max) {
      err('components.jvb.autoscale.min', `must be ≤ max (${jvb.autoscale.max}) (got ${jvb.autoscale.min})`);
    }
    if (c.exposure.mode === 'hostPort' && jvb.autoscale.max > c.nodes.count) {
      warn('components.jvb.autoscale.max', `hostPort runs one bridge per node: at most ${c.nodes.count} bridges can be scheduled (max is ${jvb.autoscale.max})`);
    }
    if (jvb.autoscale.metric !== 'cpu' && !c.monitoring.enabled) {
      err('components.jvb.autoscale.metric', `scaling on ${jvb.autoscale.metric} reads the bridges' metrics through Prometheus: set monitoring.enabled: true (needs the Prometheus operator), or use metric cpu`);
    }
    if (jvb.autoscale.metric !== 'cpu' && (jvb.autoscale.engine ?? 'keda') === 'keda' && !c.monitoring.prometheusURL) {
      err('monitoring.prometheusURL', 'KEDA queries Prometheus for the bridges\' metric: name the server, e.g. http://prometheus-operated.monitoring.svc:9090 (or use autoscale.engine hpa with a custom metrics API)');
    }
  }
  const jibri = c.components.jibri;
  if (jibri.enabled && jibri.replicas > 1 && jibri.storage?.enabled && jibri.storage.accessMode === 'ReadWriteOnce') {
    warn('components.jibri.storage.accessMode', `${jibri.replicas} jibri pods share one recordings volume: ReadWriteOnce will keep all but one Pending; use a ReadWriteMany storage class`);
  } else if (jibri.enabled && jibri.replicas > 1 && jibri.storage?.enabled) {
    warn('components.jibri.storage.storageClass', `${jibri.replicas} jibri pods share one recordings volume: the storage class ${jibri.storage.storageClass ?? '(cluster default)'} must support ReadWriteMany`);
  }
  const tr = c.components.transcriber;
  if (tr.enabled && tr.storage?.enabled) {
    warn('components.transcriber.storage.storageClass', `the chart mounts transcripts ReadWriteMany: ${tr.storage.storageClass ?? 'the default class'} must support it`);
  }
  for (const codec of ['vp8', 'vp9', 'h264', 'av1'] as const) {
    issues.push(...bitrateOrder(`video.bitrates.${codec}`, c.video.bitrates[codec]));
  }
  if (c.video.resolution > 720 && c.video.simulcast) {
    warn('video.resolution', 'above 720p the bridge forwards the extra layer to every receiver that asks; expect more bandwidth per participant');
  }
  if (c.tls.mode === 'letsencrypt' && !c.tls.email) err('tls.email', 'Let\'s Encrypt needs an account e-mail (tls.email)');
  if (c.tls.mode === 'secret' && !c.tls.secretName) err('tls.secretName', 'mode secret needs the name of an existing TLS Secret');
  if (c.exposure.mode === 'pangolin') {
    if (!c.exposure.pangolin) err('exposure.pangolin.endpoint', 'pangolin mode needs the Pangolin server URL');
    if (!c.exposure.publicIP) err('exposure.publicIP', 'pangolin mode needs the VPS public address: the bridge must advertise it');
  }
  if (c.exposure.extraPublicIPs?.length && !c.exposure.publicIP) err('exposure.extraPublicIPs', 'set exposure.publicIP first: the extra addresses are advertised beside it');
  if (c.exposure.mode !== 'pangolin' && c.exposure.pangolin) {
    warn('exposure.pangolin', `ignored: exposure.mode is ${c.exposure.mode}`);
  }
  if (c.exposure.mode === 'nodePort' && c.exposure.nodePort === undefined) {
    err('exposure.nodePort', 'nodePort mode needs the first media NodePort (30000-32767)');
  }
  if (c.exposure.mode === 'nodePort' && c.exposure.nodePort !== undefined && c.exposure.nodePort + jvb.replicas - 1 > 32767) {
    err('exposure.nodePort', `${jvb.replicas} bridges need NodePorts ${c.exposure.nodePort}-${c.exposure.nodePort + jvb.replicas - 1}, past 32767`);
  }
  if (c.exposure.udpPort + jvb.replicas - 1 > 65535) err('exposure.udpPort', 'the UDP port range runs past 65535');
  if ((c.exposure.mode === 'loadBalancer' || c.exposure.mode === 'nodePort' || c.exposure.mode === 'hostPort') && !c.exposure.publicIP) {
    warn('exposure.publicIP', c.exposure.mode === 'loadBalancer'
      ? 'not set: apply reads the load balancer address once it is assigned and advertises it'
      : 'not set: the bridge advertises the node address it finds (useNodeIP / STUN); set it if clients reach the nodes through NAT');
  }
  if (c.exposure.mode === 'tailscale') issues.push(...tailnetNameIssues(c));
  if (c.auth.mode === 'open') warn('auth.mode', OPEN_WARNING);
  for (const p of sizeRelease(c).fitProblems) warn('nodes', `does not fit: ${p}`);
  return issues;
}

/** Parse + normalise + cross-field. Throws a UsageError listing every error; returns warnings. */
export function validateConfig(input: unknown, source = 'config'): Validated {
  // jitless: one parse per run, so compiling a fast path (new Function) costs more than it saves
  const parsed = configSchema.safeParse(input ?? {}, { reportInput: true, jitless: true });
  if (!parsed.success) throw invalid(source, zodIssues(parsed.error));
  const config = normalise(parsed.data);
  const issues = crossFieldIssues(config);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw invalid(source, errors);
  return { config, warnings: issues.filter((i) => i.severity === 'warning') };
}

function invalid(source: string, issues: ConfigIssue[]): UsageError {
  const lines = issues.map((i) => `  ${formatIssue(i)}`).join('\n');
  return new UsageError(
    `${source} is not valid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines}`,
    'fix the values above; the file format is described in README.md ("Configuration") and schema/jitsi-k8s.schema.json',
  );
}
