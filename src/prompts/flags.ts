/**
 * The flags of `jitsi-k8s init`: one per wizard answer, as a table the command registers, and
 * ONE pure function from the parsed flags to a partial Config. Secrets are never flags: they
 * come from the environment (TS_OAUTH_CLIENT_ID, TS_OAUTH_CLIENT_SECRET, NEWT_ID, NEWT_SECRET).
 */
import { UsageError } from '../errors.js';
import { AUTH_MODES, AUTOSCALE_METRICS, CODECS, EXPOSURE_MODES, TLS_MODES, type Codec, type ExposureMode } from '../config/choices.js';
import { DURATION_HINT, parseDuration } from '../config/duration.js';
import type { ConfigInput, Secrets } from '../config/schema.js';

/** Commander's camelCased values of the answer flags (strings; booleans for --x/--no-x). */
export interface AnswerFlags {
  context?: string;
  namespace?: string;
  release?: string;
  domain?: string;
  nodes?: string;
  nodeCpu?: string;
  nodeMemory?: string;
  webReplicas?: string;
  jvbReplicas?: string;
  jibri?: boolean;
  jibriReplicas?: string;
  jigasi?: boolean;
  transcriber?: boolean;
  storageClass?: string;
  jibriStorage?: string;
  transcriberStorage?: string;
  resolution?: string;
  simulcast?: boolean;
  codecs?: string;
  bitrateLow?: string;
  bitrateStandard?: string;
  bitrateHigh?: string;
  ssrcRewriting?: boolean;
  lastN?: string;
  exposure?: string;
  publicIp?: string;
  nodePort?: string;
  turn?: boolean;
  tailscaleHostname?: string;
  pangolinEndpoint?: string;
  autoscale?: boolean;
  autoscaleMin?: string;
  autoscaleMax?: string;
  autoscaleCpu?: string;
  autoscaleMetric?: string;
  monitoring?: boolean;
  drainTimeout?: string;
  peakParticipants?: string;
  roomSize?: string;
  tls?: string;
  tlsEmail?: string;
  tlsSecret?: string;
  ingressClass?: string;
  auth?: string;
  guests?: boolean;
  jwtAppId?: string;
  accountsStorage?: string;
}

/** Every answer flag, in wizard order: `flags` is commander's spelling. */
export const ANSWER_OPTIONS: { flags: string; description: string }[] = [
  { flags: '--context <name>', description: 'kube context (default: the current one)' },
  { flags: '--namespace <ns>', description: 'namespace for the release (default jitsi)' },
  { flags: '--release <name>', description: 'Helm release name (default jitsi)' },
  { flags: '--domain <host>', description: 'public host name of the site, e.g. meet.example.com (required)' },
  { flags: '--auth <mode>', description: `who may start a meeting: ${AUTH_MODES.join(' | ')} (open: anyone who reaches the site)` },
  { flags: '--guests', description: 'accounts/jwt: others may join a room once a member or token holder opened it' },
  { flags: '--no-guests', description: 'accounts/jwt: everyone needs an account or a token' },
  { flags: '--jwt-app-id <id>', description: 'jwt: the app id (JWT_APP_ID); the app secret comes from JWT_APP_SECRET or is generated' },
  { flags: '--accounts-storage <size>', description: 'accounts: size of the volume prosody keeps accounts on, e.g. 1Gi (class: --storage-class)' },
  { flags: '--exposure <mode>', description: `how clients reach Jitsi: ${EXPOSURE_MODES.join(' | ')}` },
  { flags: '--turn', description: 'run coturn for clients behind UDP-blocking firewalls' },
  { flags: '--no-turn', description: 'no TURN relay' },
  { flags: '--public-ip <ip>', description: 'address the JVB advertises (LB / node / VPS address)' },
  { flags: '--node-port <port>', description: 'first media NodePort (nodePort mode, 30000-32767)' },
  { flags: '--tailscale-hostname <name>', description: 'tailnet host name (tailscale mode); OAuth client from TS_OAUTH_CLIENT_ID/_SECRET' },
  { flags: '--pangolin-endpoint <url>', description: 'Pangolin server URL (pangolin mode); Newt credentials from NEWT_ID/NEWT_SECRET' },
  { flags: '--nodes <count>', description: 'worker nodes Jitsi may use (default: schedulable nodes of the cluster)' },
  { flags: '--node-cpu <cores>', description: 'CPU cores per node, its size (default: read from the cluster)' },
  { flags: '--node-memory <GiB>', description: 'memory per node in GiB, its size (default: read from the cluster)' },
  { flags: '--web-replicas <n>', description: 'web (nginx) pods' },
  { flags: '--jvb-replicas <n>', description: 'video bridges' },
  { flags: '--autoscale', description: 'autoscale the bridges (hostPort only)' },
  { flags: '--no-autoscale', description: 'fixed number of bridges' },
  { flags: '--autoscale-min <n>', description: 'fewest bridges when autoscaling' },
  { flags: '--autoscale-max <n>', description: 'most bridges when autoscaling' },
  { flags: '--autoscale-cpu <percent>', description: 'target CPU use of a bridge, percent of its request' },
  {
    flags: '--autoscale-metric <metric>',
    description: `what the bridges scale on: ${AUTOSCALE_METRICS.join(' | ')} (stress and participants need monitoring and KEDA or a custom metrics API)`,
  },
  { flags: '--monitoring', description: "metrics, alerting rules and Grafana dashboards (needs the Prometheus operator's CRDs)" },
  { flags: '--no-monitoring', description: 'no monitoring objects' },
  { flags: '--drain-timeout <duration>', description: 'how long a stopping bridge lets its meetings end, e.g. 1h, 30m (default 1h)' },
  { flags: '--peak-participants <n>', description: 'participants at once at the busiest time: NOTES show the bridges and HPA bounds they need' },
  { flags: '--room-size <n>', description: 'people in a typical meeting, for that sizing (default 10)' },
  { flags: '--jibri', description: 'recording / streaming (jibri)' },
  { flags: '--no-jibri', description: 'no jibri' },
  { flags: '--jibri-replicas <n>', description: 'jibri pods (one recording at a time each)' },
  { flags: '--jigasi', description: 'SIP gateway (jigasi)' },
  { flags: '--no-jigasi', description: 'no jigasi' },
  { flags: '--transcriber', description: 'live transcription' },
  { flags: '--no-transcriber', description: 'no transcriber' },
  { flags: '--storage-class <name>', description: 'StorageClass for jibri / transcriber volumes (absent = the cluster default class)' },
  { flags: '--jibri-storage <size>', description: 'recordings volume size, e.g. 20Gi ("none" = no volume)' },
  { flags: '--transcriber-storage <size>', description: 'transcripts volume size, e.g. 10Gi ("none" = no volume)' },
  { flags: '--resolution <height>', description: 'highest capture height: 180 | 360 | 480 | 540 | 720 | 1080' },
  { flags: '--simulcast', description: 'send several qualities (default)' },
  { flags: '--no-simulcast', description: 'send one quality' },
  { flags: '--codecs <list>', description: `enabled codecs, preferred first, e.g. VP9,VP8 (${CODECS.join(', ')})` },
  { flags: '--bitrate-low <bps>', description: 'bits/s of the low layer (180p) of the preferred codec' },
  { flags: '--bitrate-standard <bps>', description: 'bits/s of the standard layer (360p) of the preferred codec' },
  { flags: '--bitrate-high <bps>', description: 'bits/s of the high layer (720p) of the preferred codec' },
  { flags: '--ssrc-rewriting', description: 'bridge rewrites SSRCs (default)' },
  { flags: '--no-ssrc-rewriting', description: 'no SSRC rewriting' },
  { flags: '--last-n <n>', description: 'forward video of at most N speakers (-1 = all)' },
  { flags: '--tls <mode>', description: `TLS for the site: ${TLS_MODES.join(' | ')}` },
  { flags: '--tls-email <email>', description: 'ACME account e-mail (letsencrypt)' },
  { flags: '--tls-secret <name>', description: 'existing TLS Secret (secret mode)' },
  { flags: '--ingress-class <name>', description: 'ingressClassName for the web Ingress' },
];

/** A partial Config (every level optional) — what flags, a file or the wizard may say. */
export type ConfigDraft = DeepPartial<ConfigInput>;
type DeepPartial<T> = T extends (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

export interface FlagAnswers {
  draft: ConfigDraft;
  /** --bitrate-*: they apply to the preferred (first) codec, which is known only after all answers */
  bitrates: { low?: number; standard?: number; high?: number };
}

function int(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag}: not a whole number (got "${value}")`, `e.g. ${flag} 2`);
  return Number(value);
}

function decimal(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new UsageError(`${flag}: not a number (got "${value}")`, `e.g. ${flag} 8`);
  return Number(value);
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const hit = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
  if (!hit) throw new UsageError(`${flag}: "${value}" is not one of ${allowed.join(', ')}`);
  return hit;
}

function codecList(value: string | undefined): Codec[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--codecs: name at least one codec', `e.g. --codecs ${CODECS.slice(0, 2).join(',')}`);
  return names.map((n) => oneOf('--codecs', n, CODECS)!);
}

/** Volume flag: a size, or "none" for no volume. */
function volume(size: string | undefined, storageClass: string | undefined) {
  const cls = storageClass?.trim() || undefined;
  if (size?.trim().toLowerCase() === 'none') return { enabled: false };
  if (size === undefined && cls === undefined) return undefined;
  return { enabled: true, size, storageClass: cls };
}

/** A duration flag (90s, 30m, 1h): the text as given, once it parses. */
function duration(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (parseDuration(text) === undefined) throw new UsageError(`${flag}: '${value}' is not a duration`, DURATION_HINT);
  return text;
}

const RESOLUTIONS = [180, 360, 480, 540, 720, 1080] as const;

/** Pure: parsed flags → a partial Config. A malformed value is a UsageError naming the flag. */
export function flagsToConfig(f: AnswerFlags): FlagAnswers {
  const resolution = int('--resolution', f.resolution);
  if (resolution !== undefined && !(RESOLUTIONS as readonly number[]).includes(resolution)) {
    throw new UsageError(`--resolution: ${resolution} is not one of ${RESOLUTIONS.join(', ')}`);
  }
  const exposure: ExposureMode | undefined = oneOf('--exposure', f.exposure, EXPOSURE_MODES);
  const draft: ConfigDraft = {
    cluster: { context: f.context, namespace: f.namespace, release: f.release },
    monitoring: { enabled: f.monitoring },
    domain: f.domain?.trim().toLowerCase(),
    nodes: { count: int('--nodes', f.nodes), cpu: decimal('--node-cpu', f.nodeCpu), memoryGiB: decimal('--node-memory', f.nodeMemory) },
    components: {
      web: { replicas: int('--web-replicas', f.webReplicas) },
      jvb: {
        replicas: int('--jvb-replicas', f.jvbReplicas),
        autoscale: {
          enabled: f.autoscale,
          min: int('--autoscale-min', f.autoscaleMin),
          max: int('--autoscale-max', f.autoscaleMax),
          cpuPercent: int('--autoscale-cpu', f.autoscaleCpu),
          metric: oneOf('--autoscale-metric', f.autoscaleMetric, AUTOSCALE_METRICS),
        },
        drain: { timeout: duration('--drain-timeout', f.drainTimeout) },
      },
      jibri: { enabled: f.jibri, replicas: int('--jibri-replicas', f.jibriReplicas), storage: volume(f.jibriStorage, f.storageClass) },
      jigasi: { enabled: f.jigasi },
      transcriber: { enabled: f.transcriber, storage: volume(f.transcriberStorage, f.storageClass) },
    },
    expect: f.peakParticipants !== undefined || f.roomSize !== undefined ? { peakParticipants: int('--peak-participants', f.peakParticipants), roomSize: int('--room-size', f.roomSize) } : undefined,
    video: {
      resolution: resolution as (typeof RESOLUTIONS)[number] | undefined,
      simulcast: f.simulcast,
      codecs: codecList(f.codecs),
      ssrcRewriting: f.ssrcRewriting,
      lastN: int('--last-n', f.lastN),
    },
    exposure: {
      mode: exposure,
      publicIP: f.publicIp?.trim(),
      nodePort: int('--node-port', f.nodePort),
      turn: { enabled: f.turn },
      tailscale: f.tailscaleHostname !== undefined ? { hostname: f.tailscaleHostname } : undefined,
      pangolin: f.pangolinEndpoint !== undefined ? { endpoint: f.pangolinEndpoint.trim() } : undefined,
    },
    tls: { mode: oneOf('--tls', f.tls, TLS_MODES), email: f.tlsEmail?.trim(), secretName: f.tlsSecret, ingressClass: f.ingressClass },
    auth: {
      mode: oneOf('--auth', f.auth, AUTH_MODES),
      guests: f.guests,
      jwt: { appId: f.jwtAppId?.trim() },
      accounts: { size: f.accountsStorage?.trim(), storageClass: f.accountsStorage !== undefined ? f.storageClass?.trim() || undefined : undefined },
    },
  };
  return {
    draft: prune(draft) ?? {},
    bitrates:
      prune({
        low: int('--bitrate-low', f.bitrateLow),
        standard: int('--bitrate-standard', f.bitrateStandard),
        high: int('--bitrate-high', f.bitrateHigh),
      }) ?? {},
  };
}

/** Drops undefined leaves and then-empty objects, so "no flag" stays absent. */
export function prune<T>(value: T): T | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const p = prune(v);
    if (p !== undefined) out[k] = p;
  }
  return Object.keys(out).length > 0 ? (out as T) : undefined;
}

/** VPN credentials from the environment (never flags). */
export function secretsFromEnv(env: NodeJS.ProcessEnv): Partial<Pick<Secrets, 'tailscale' | 'newt'>> & {
  tailscalePartial?: boolean;
  newtPartial?: boolean;
} {
  const ts = { clientId: env.TS_OAUTH_CLIENT_ID || undefined, clientSecret: env.TS_OAUTH_CLIENT_SECRET || undefined };
  const newt = { id: env.NEWT_ID || undefined, secret: env.NEWT_SECRET || undefined };
  return {
    tailscale: ts.clientId && ts.clientSecret ? { clientId: ts.clientId, clientSecret: ts.clientSecret } : undefined,
    newt: newt.id && newt.secret ? { id: newt.id, secret: newt.secret } : undefined,
    tailscalePartial: Boolean(ts.clientId) !== Boolean(ts.clientSecret),
    newtPartial: Boolean(newt.id) !== Boolean(newt.secret),
  };
}
