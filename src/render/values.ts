/**
 * Config → values for the `jitsi-meet` chart 3.4.0 (facts: shared/docs/jitsi-helm-3.4.0.md).
 * Pure. Secrets are kept apart (secretValues) so values.yaml can go into Git.
 */
import { EXPOSURE, tailnetSiteName, tailscaleWebDevice } from '../config/exposure.js';
import type { Codec, Config, ExposureMode, Secrets } from '../config/schema.js';
import { sizeRelease, type Sizing } from '../config/sizing.js';
import { renderAuth } from './auth.js';
import type { CapacityProfile } from '../config/capacity-profile.js';
import { DRAIN_ANNOTATION, drainAnnotation } from './drain.js';

export type Values = Record<string, unknown>;

/** The chart's fullname: the release name when it contains "jitsi-meet", else "<release>-jitsi-meet". */
export function chartFullname(release: string): string {
  return release.includes('jitsi-meet') ? release : `${release}-jitsi-meet`;
}

/** The claim the chart would have named `<fullname>-<component>`: same name, so an older install's claim is taken over, not replaced. */
export function dataClaimName(release: string, component: 'jibri' | 'transcriber'): string {
  return `${chartFullname(release)}-${component}`;
}

/** Names of the JVB Deployments the chart creates (one per port index). */
export function jvbDeploymentNames(config: Config): string[] {
  const n = jvbLayout(config).portRangeSize;
  return Array.from({ length: n }, (_, i) => `${chartFullname(config.cluster.release)}-jvb-${i}`);
}

/** How N bridges map onto the chart's keys for the exposure mode. */
export function jvbLayout(config: Config): { replicaCount: number; portRangeSize: number } {
  const n = config.components.jvb.replicas;
  return EXPOSURE[config.exposure.mode].behindService ? { replicaCount: 1, portRangeSize: n } : { replicaCount: n, portRangeSize: 1 };
}

const str = (v: string | number | boolean) => String(v);

/** 16:9 width for a capture height. */
function widthFor(height: number): number {
  return Math.round((height * 16) / 9 / 2) * 2;
}

const BITRATE_ENV_LAYERS = { low: 'LOW', standard: 'STANDARD', high: 'HIGH', full: 'FULL', ultra: 'ULTRA', ssHigh: 'SS_HIGH' } as const;

function webEnv(config: Config): Record<string, string> {
  const v = config.video;
  const env: Record<string, string> = {
    ENABLE_SIMULCAST: str(v.simulcast),
    RESOLUTION: str(v.resolution),
    RESOLUTION_WIDTH: str(widthFor(v.resolution)),
    RESOLUTION_MIN: str(Math.min(180, v.resolution)),
    RESOLUTION_WIDTH_MIN: str(widthFor(Math.min(180, v.resolution))),
    VIDEOQUALITY_PREFERRED_CODEC: v.codecs[0] as Codec,
  };
  for (const codec of ['vp8', 'vp9', 'h264', 'av1'] as const) {
    const layers = v.bitrates[codec];
    if (!layers) continue;
    for (const [key, envLayer] of Object.entries(BITRATE_ENV_LAYERS)) {
      const value = layers[key as keyof typeof BITRATE_ENV_LAYERS];
      if (value !== undefined) env[`VIDEOQUALITY_BITRATE_${codec.toUpperCase()}_${envLayer}`] = str(value);
    }
  }
  if (v.adaptiveMode !== undefined) env.ENABLE_ADAPTIVE_MODE = str(v.adaptiveMode);
  if (config.exposure.mode === 'tailscale') env.ENABLE_XMPP_WEBSOCKET = 'false';
  return env;
}

function jicofoEnv(config: Config): Record<string, string> {
  const enabled = new Set(config.video.codecs);
  const env: Record<string, string> = {
    ENABLE_CODEC_VP8: str(enabled.has('VP8')),
    ENABLE_CODEC_VP9: str(enabled.has('VP9')),
    ENABLE_CODEC_H264: str(enabled.has('H264')),
    ENABLE_CODEC_AV1: str(enabled.has('AV1')),
    JICOFO_CONF_SSRC_REWRITING: str(config.video.ssrcRewriting),
  };
  return env;
}

/** JavaScript appended to config.js for knobs without an env variable. */
function customConfigJs(config: Config): string | undefined {
  const lines: string[] = [];
  if (config.video.lastN !== undefined) lines.push(`config.channelLastN = ${config.video.lastN};`);
  return lines.length ? `${lines.join('\n')}\n` : undefined;
}

interface ExposureValues {
  jvb: Values;
  web: Values;
  extra?: Values;
}

/** Values each exposure mode sets; read by renderValues. */
const EXPOSURE_VALUES: Record<ExposureMode, (config: Config) => ExposureValues> = {
  loadBalancer: (c) => ({
    jvb: {
      service: {
        enabled: true,
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        ...(c.exposure.loadBalancerClass ? { loadBalancerClass: c.exposure.loadBalancerClass } : {}),
        ...(c.exposure.annotations ? { annotations: c.exposure.annotations } : {}),
      },
      // STUN would report the cluster's egress address, not the load balancer's
      ...(c.exposure.publicIP ? { publicIPs: advertisedIPs(c), disableStun: true } : {}),
    },
    web: c.tls.mode === 'none' ? { service: { type: 'LoadBalancer' } } : {},
  }),
  nodePort: (c) => ({
    jvb: {
      service: { enabled: true, type: 'NodePort', externalTrafficPolicy: 'Local', ...(c.exposure.annotations ? { annotations: c.exposure.annotations } : {}) },
      nodePort: c.exposure.nodePort,
      ...(c.exposure.publicIP ? { publicIPs: advertisedIPs(c).map((ip) => `${ip}#${c.exposure.nodePort}`), disableStun: true } : { useNodeIP: true }),
    },
    web: c.tls.mode === 'none' ? { service: { type: 'NodePort' } } : {},
  }),
  hostPort: (c) => ({
    jvb: {
      service: { enabled: false },
      useHostPort: true,
      ...(c.exposure.publicIP ? { publicIPs: advertisedIPs(c), disableStun: true } : { useNodeIP: true }),
    },
    web: c.tls.mode === 'none' ? { service: { type: 'LoadBalancer' } } : {},
  }),
  tailscale: (c) => ({
    jvb: {
      service: {
        enabled: true,
        type: 'LoadBalancer',
        loadBalancerClass: 'tailscale',
        annotations: { 'tailscale.com/hostname': `${c.exposure.tailscale?.hostname ?? c.cluster.release}-jvb`, ...(c.exposure.annotations ?? {}) },
      },
      // the tailnet address is only known once the operator assigns it: apply reads it and re-applies
      ...(c.exposure.publicIP ? { publicIPs: advertisedIPs(c) } : {}),
      disableStun: true,
    },
    web: {
      ingress: {
        enabled: true,
        ingressClassName: 'tailscale',
        // the device name alone: the operator names the machine after the TLS host's first label and ignores rules for other hosts
        hosts: [{ host: tailscaleWebDevice(c), paths: ['/'] }],
        tls: [{ hosts: [tailscaleWebDevice(c)] }],
      },
    },
  }),
  pangolin: (c) => ({
    jvb: {
      service: { enabled: true, type: 'ClusterIP' },
      publicIPs: advertisedIPs(c),
      disableStun: true,
    },
    web: {},
  }),
};

/** jvb.publicIPs: the chart joins them into JVB_ADVERTISE_IPS, one static mapping (candidate) per address. */
function advertisedIPs(c: Config): string[] {
  return c.exposure.publicIP ? [c.exposure.publicIP, ...(c.exposure.extraPublicIPs ?? [])] : [];
}

/**
 * The host people open. For Tailscale the tailnet name (saved by apply, or named by the domain); while
 * it is unknown the domain stands in, a full name though not yet the right one (validation warns,
 * apply reads the real one and renders again) — never the bare device name, which no browser can
 * open over TLS.
 */
function publicHost(config: Config): string {
  if (config.exposure.mode !== 'tailscale') return config.domain;
  return tailnetSiteName(config) ?? config.domain;
}

function webIngress(config: Config): Values | undefined {
  if (config.exposure.mode === 'tailscale' || config.exposure.mode === 'pangolin' || config.tls.mode === 'none') return undefined;
  const annotations: Record<string, string> = {};
  if (config.tls.mode === 'letsencrypt') annotations['cert-manager.io/cluster-issuer'] = config.tls.issuer ?? 'letsencrypt-prod';
  return {
    enabled: true,
    ...(config.tls.ingressClass ? { ingressClassName: config.tls.ingressClass } : {}),
    annotations,
    hosts: [{ host: config.domain, paths: ['/'] }],
    tls: [{ secretName: config.tls.secretName, hosts: [config.domain] }],
  };
}

function storageValues(s: { enabled: boolean; size: string; storageClass?: string } | undefined): Values {
  if (!s || !s.enabled) return { enabled: false };
  return { enabled: true, size: s.size, ...(s.storageClass ? { storageClassName: s.storageClass } : {}) };
}

/** jibri and transcriber mount the claim our data chart keeps (render/claims.ts): the chart then makes none itself. */
function claimValues(config: Config, component: 'jibri' | 'transcriber', s: { enabled: boolean } | undefined): Values {
  return s?.enabled ? { enabled: true, existingClaim: dataClaimName(config.cluster.release, component) } : { enabled: false };
}

export interface RenderedValues {
  values: Values;
  secretValues: Values;
  sizing: Sizing;
}

function resourcesOf(sizing: Sizing, component: string): Values | undefined {
  return sizing.components.find((c) => c.component === component)?.resources as Values | undefined;
}

export function renderValues(config: Config, secrets: Secrets, capacity?: { profile: CapacityProfile; source: string }): RenderedValues {
  const sizing = sizeRelease(config, capacity);
  const comp = config.components;
  const layout = jvbLayout(config);
  const exposure = EXPOSURE_VALUES[config.exposure.mode](config);
  // the Tailscale operator and the Pangolin server both serve the site over HTTPS themselves
  const scheme = config.tls.mode === 'none' && config.exposure.mode !== 'tailscale' && config.exposure.mode !== 'pangolin' ? 'http' : 'https';
  const bridges = comp.jvb.replicas;
  const customJs = customConfigJs(config);
  const ingress = webIngress(config);

  const web: Values = {
    replicaCount: comp.web.replicas,
    resources: resourcesOf(sizing, 'web'),
    extraEnvs: webEnv(config),
    ...(customJs ? { custom: { configs: { _custom_config_js: customJs } } } : {}),
    ...exposure.web,
    ...(ingress ? { ingress } : {}),
  };

  const jvb: Values = {
    replicaCount: layout.replicaCount,
    portRangeSize: layout.portRangeSize,
    UDPPort: config.exposure.udpPort,
    resources: resourcesOf(sizing, 'jvb'),
    // the preStop hook's graceful shutdown (render/drain.ts) needs the shutdown REST API, off by default
    extraEnvs: { VIDEOBRIDGE_MAX_MEMORY: `${sizing.jvbHeapMiB}m`, SHUTDOWN_REST_ENABLED: 'true' },
    podAnnotations: { [DRAIN_ANNOTATION]: drainAnnotation(config) },
    ...exposure.jvb,
  };

  const values: Values = {
    publicURL: `${scheme}://${publicHost(config)}`,
    web,
    jicofo: { resources: resourcesOf(sizing, 'jicofo'), extraEnvs: jicofoEnv(config) },
    prosody: { resources: resourcesOf(sizing, 'prosody'), persistence: storageValues(comp.prosody.persistence) },
    jvb,
    octo: { enabled: bridges > 1 || comp.jvb.autoscale.enabled },
    jibri: comp.jibri.enabled
      ? {
          enabled: true,
          replicaCount: comp.jibri.replicas,
          resources: resourcesOf(sizing, 'jibri'),
          persistence: claimValues(config, 'jibri', comp.jibri.storage),
        }
      : { enabled: false },
    jigasi: comp.jigasi.enabled ? { enabled: true, resources: resourcesOf(sizing, 'jigasi') } : { enabled: false },
    transcriber: comp.transcriber.enabled
      ? { enabled: true, resources: resourcesOf(sizing, 'transcriber'), persistence: claimValues(config, 'transcriber', comp.transcriber.storage) }
      : { enabled: false },
  };
  if (config.exposure.turn.enabled) {
    values.turnHost = config.exposure.turn.host;
    values.coturn = {
      enabled: true,
      ...(config.exposure.turn.allowedPeerIPs ? { allowedPeerIPs: config.exposure.turn.allowedPeerIPs } : {}),
      ...(config.tls.mode === 'letsencrypt'
        ? { turns: { enabled: true, certificate: { create: true, issuerRef: { name: config.tls.issuer, kind: 'ClusterIssuer', group: 'cert-manager.io' } } } }
        : {}),
    };
  }

  const x = secrets.xmpp;
  const secretValues: Values = {
    jicofo: { xmpp: { password: x.jicofo } },
    jvb: { xmpp: { password: x.jvb } },
    ...(comp.jibri.enabled ? { jibri: { xmpp: { password: x.jibri }, recorder: { password: x.recorder } } } : {}),
    ...(comp.jigasi.enabled ? { jigasi: { xmpp: { password: x.jigasi } } } : {}),
    ...(comp.transcriber.enabled ? { transcriber: { xmpp: { password: x.transcriber } } } : {}),
    ...(config.exposure.turn.enabled ? { coturn: { staticAuth: { secret: secrets.turnSecret } } } : {}),
  };
  // who may start a meeting: the chart's auth keys, AUTH_TYPE and the JWT env; the app secret joins the secret values
  const auth = renderAuth(config, secrets, chartFullname(config.cluster.release));
  return { values: dropUndefined(mergeValues(values, auth.values)) as Values, secretValues: mergeValues(secretValues, auth.secretValues), sizing };
}

function dropUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropUndefined);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, dropUndefined(x)]),
    );
  }
  return v;
}

/** Deep merge for layering secret values over public values (objects merge, everything else replaces). */
export function mergeValues(a: Values, b: Values): Values {
  const out: Values = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      cur && v && typeof cur === 'object' && typeof v === 'object' && !Array.isArray(cur) && !Array.isArray(v) ? mergeValues(cur as Values, v as Values) : v;
  }
  return out;
}
