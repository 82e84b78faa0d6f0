/**
 * The init wizard: every answer as an explicit chain
 *   flag ?? (interactive ? ask(file ?? cluster fact ?? default) : file ?? cluster fact ?? default)
 * (VPN credentials: environment ?? existing secrets file ?? ask). Without a prompter nothing is
 * asked, and a value that has no sensible default is a UsageError naming its flag.
 * Nothing here writes anything: the caller shows the summary and writes after confirmation.
 */
import { UsageError } from '../errors.js';
import { CERT_MANAGER_API_GROUP, type ClusterFacts, type FactsResult, type KubeContexts } from '../cluster/facts.js';
import { OPEN_WARNING } from '../config/auth.js';
import type { AuthMode, Codec, ConfigInput, ExposureMode, Secrets } from '../config/schema.js';
import type { Prompter } from './prompter.js';
import type { ConfigDraft, FlagAnswers } from './flags.js';
import { askAccountsSize, askAuth, askGuests, askJwtAppId } from './ask-auth.js';
import { askContext, askDomain, askNamespace, askNodeCount, askNodeCpu, askNodeMemory, askRelease } from './ask-cluster.js';
import {
  askExposure,
  askNewtCredentials,
  askNodePort,
  askPangolinEndpoint,
  askPublicIP,
  askTailscaleHostname,
  askTailscaleOAuth,
  askTurn,
} from './ask-exposure.js';
import {
  askAutoscale,
  askAutoscaleCpu,
  askAutoscaleMetric,
  askAutoscaleMax,
  askAutoscaleMin,
  askComponents,
  askDrainTimeout,
  askMonitoring,
  askPeakParticipants,
  askRoomSize,
  askJibriReplicas,
  askJvbReplicas,
  askStorageClass,
  askVolumeSize,
  askWebReplicas,
  type OptionalComponent,
  type StorageChoice,
} from './ask-components.js';
import { JITSI_BITRATES, askBitrate, askCodecs, askLastN, askResolution, askSimulcast, askSsrcRewriting, type Layer, type Resolution } from './ask-video.js';
import { CERT_MANAGER_INSTALL, askIngressClass, askTls, askTlsEmail, askTlsSecret, type TlsMode } from './ask-tls.js';

export type VpnSecrets = Partial<Pick<Secrets, 'tailscale' | 'newt'>>;

export interface WizardInput {
  /** from flagsToConfig */
  flags: FlagAnswers;
  /** --config file, as written (unvalidated shape, already checked by the caller) */
  file: ConfigDraft;
  /** VPN credentials from the environment */
  envSecrets: VpnSecrets;
  /** VPN credentials already in the secrets file beside the output */
  savedSecrets?: VpnSecrets;
  kube?: KubeContexts;
  /** read-only cluster facts for the chosen context */
  loadFacts: (context: string | undefined) => Promise<FactsResult>;
  /** absent = not interactive: ask nothing */
  prompter?: Prompter;
  /** a line for the person (stderr) */
  say: (line: string) => void;
}

export interface WizardResult {
  /** the answers merged over the --config file, ready for validateConfig */
  config: ConfigInput;
  /** VPN credentials for the 0600 secrets file (never the config) */
  secrets: VpnSecrets;
  facts?: ClusterFacts;
}

/** Let's Encrypt on a cluster read without cert-manager: preflight would stop the install, so stop before anything is written. */
function refuseLetsEncrypt(what: string, context: string): never {
  throw new UsageError(
    `${what} needs cert-manager, and cluster ${context} does not have it (no ${CERT_MANAGER_API_GROUP} API): preflight would stop the install`,
    `install cert-manager first (${CERT_MANAGER_INSTALL}), or use --tls secret --tls-secret NAME (an existing TLS Secret) or --tls none (behind your own TLS proxy)`,
  );
}

function missing(flag: string, what: string): never {
  throw new UsageError(
    `${what} is required when nothing is asked (--yes, CI or no terminal): pass ${flag}`,
    `e.g. jitsi-k8s init --yes ${flag} …, or run init in a terminal to be asked`,
  );
}

export async function runWizard(input: WizardInput): Promise<WizardResult> {
  const { flags, file, envSecrets, savedSecrets, kube, prompter: p, say } = input;
  const f = flags.draft;

  // ---------- where ----------
  const contextCurrent = file.cluster?.context ?? kube?.current;
  // one context: nothing to choose
  const context =
    f.cluster?.context ?? (p && kube && kube.contexts.length > 1 ? await askContext(p, contextCurrent, kube) : (contextCurrent ?? kube?.contexts[0]));
  const factsResult = await input.loadFacts(context);
  const facts = factsResult.facts;
  if (facts) {
    const certManager = facts.certManager === undefined ? '' : facts.certManager ? ', cert-manager' : ', no cert-manager';
    say(`cluster ${facts.context}: ${facts.nodes.schedulable} schedulable node(s), ${facts.storageClasses.length} storage class(es)${certManager}`);
  } else {
    say(`cluster not reachable (${factsResult.reason}), using defaults`);
  }
  // what preflight would refuse is refused before the first question
  if (f.tls?.mode === 'letsencrypt' && facts?.certManager === false) refuseLetsEncrypt('--tls letsencrypt', facts.context);

  const namespace = f.cluster?.namespace ?? (p ? await askNamespace(p, file.cluster?.namespace ?? 'jitsi') : (file.cluster?.namespace ?? 'jitsi'));
  const release = f.cluster?.release ?? (p ? await askRelease(p, file.cluster?.release ?? 'jitsi') : (file.cluster?.release ?? 'jitsi'));
  const domain = f.domain ?? (p ? await askDomain(p, file.domain) : (file.domain ?? missing('--domain', 'the domain')));

  // ---------- who may start a meeting ----------
  const fa = f.auth;
  const filea = file.auth;
  const authMode: AuthMode = fa?.mode ?? (p ? await askAuth(p, filea?.mode ?? 'open') : (filea?.mode ?? 'open'));
  if (p && authMode === 'open') say(`warning: auth.mode ${OPEN_WARNING}`);
  const guests = authMode === 'open' ? (fa?.guests ?? filea?.guests) : (fa?.guests ?? (p ? await askGuests(p, filea?.guests ?? false) : filea?.guests));
  const jwtAppId =
    authMode === 'jwt'
      ? (fa?.jwt?.appId ?? (p ? await askJwtAppId(p, filea?.jwt?.appId ?? 'jitsi') : filea?.jwt?.appId))
      : (fa?.jwt?.appId ?? filea?.jwt?.appId);
  const accountsSize =
    authMode === 'accounts'
      ? (fa?.accounts?.size ?? (p ? await askAccountsSize(p, filea?.accounts?.size ?? '1Gi') : filea?.accounts?.size))
      : (fa?.accounts?.size ?? filea?.accounts?.size);
  const auth = {
    ...filea,
    mode: authMode,
    guests,
    accounts: { ...filea?.accounts, size: accountsSize, storageClass: fa?.accounts?.storageClass ?? filea?.accounts?.storageClass },
    jwt: { ...filea?.jwt, appId: jwtAppId },
  };

  // ---------- who can join ----------
  const mode: ExposureMode = f.exposure?.mode ?? (p ? await askExposure(p, file.exposure?.mode ?? 'loadBalancer') : (file.exposure?.mode ?? 'loadBalancer'));
  const turn = f.exposure?.turn?.enabled ?? (p ? await askTurn(p, file.exposure?.turn?.enabled ?? false) : (file.exposure?.turn?.enabled ?? false));
  const publicIP =
    mode === 'tailscale'
      ? (f.exposure?.publicIP ?? file.exposure?.publicIP)
      : (f.exposure?.publicIP ??
        (p
          ? await askPublicIP(p, file.exposure?.publicIP, mode)
          : (file.exposure?.publicIP ?? (mode === 'pangolin' ? missing('--public-ip', 'the Pangolin VPS public address') : undefined))));
  const nodePort =
    mode === 'nodePort'
      ? (f.exposure?.nodePort ?? (p ? await askNodePort(p, file.exposure?.nodePort ?? 30000) : (file.exposure?.nodePort ?? 30000)))
      : (f.exposure?.nodePort ?? file.exposure?.nodePort);

  const secrets: VpnSecrets = {};
  let tailscale = file.exposure?.tailscale;
  let pangolin = file.exposure?.pangolin;
  if (mode === 'tailscale') {
    const hostname =
      f.exposure?.tailscale?.hostname ?? (p ? await askTailscaleHostname(p, file.exposure?.tailscale?.hostname) : file.exposure?.tailscale?.hostname);
    tailscale = { ...file.exposure?.tailscale, hostname };
    if ((tailscale.installOperator ?? true) === true) {
      secrets.tailscale =
        envSecrets.tailscale ??
        savedSecrets?.tailscale ??
        (p ? await askTailscaleOAuth(p) : missing('TS_OAUTH_CLIENT_ID and TS_OAUTH_CLIENT_SECRET (environment)', 'the Tailscale OAuth client'));
      if (envSecrets.tailscale) say('Tailscale OAuth client: from TS_OAUTH_CLIENT_ID / TS_OAUTH_CLIENT_SECRET');
    }
  }
  if (mode === 'pangolin') {
    const endpoint =
      f.exposure?.pangolin?.endpoint ??
      (p
        ? await askPangolinEndpoint(p, file.exposure?.pangolin?.endpoint)
        : (file.exposure?.pangolin?.endpoint ?? missing('--pangolin-endpoint', 'the Pangolin server URL')));
    pangolin = { endpoint };
    secrets.newt =
      envSecrets.newt ?? savedSecrets?.newt ?? (p ? await askNewtCredentials(p) : missing('NEWT_ID and NEWT_SECRET (environment)', 'the Newt credentials'));
    if (envSecrets.newt) say('Newt credentials: from NEWT_ID / NEWT_SECRET');
  }

  // ---------- how big ----------
  const factCount = facts && facts.nodes.schedulable > 0 ? facts.nodes.schedulable : undefined;
  const cpuCurrent = file.nodes?.cpu ?? facts?.nodes.common?.cpu ?? 4;
  const nodeCpu = f.nodes?.cpu ?? (p ? await askNodeCpu(p, cpuCurrent, facts) : cpuCurrent);
  const memCurrent = file.nodes?.memoryGiB ?? facts?.nodes.common?.memoryGiB ?? 16;
  const nodeMemory = f.nodes?.memoryGiB ?? (p ? await askNodeMemory(p, memCurrent) : memCurrent);
  const countCurrent = file.nodes?.count ?? factCount ?? 3;
  const nodeCount = f.nodes?.count ?? (p ? await askNodeCount(p, countCurrent) : countCurrent);

  const webReplicas = f.components?.web?.replicas ?? (p ? await askWebReplicas(p, file.components?.web?.replicas ?? 1) : (file.components?.web?.replicas ?? 1));
  const hostPort = mode === 'hostPort';
  const jvbCurrent = Math.min(file.components?.jvb?.replicas ?? 1, hostPort ? nodeCount : Infinity);
  const jvbReplicas =
    f.components?.jvb?.replicas ?? (p ? await askJvbReplicas(p, jvbCurrent, hostPort ? nodeCount : undefined) : (file.components?.jvb?.replicas ?? 1));

  // monitoring: asked only where the Prometheus operator's CRDs are (without them nothing of it could be installed)
  const fileMon = file.monitoring;
  const promOp = facts?.prometheusOperator;
  const monitoringOn =
    f.monitoring?.enabled ?? (p && promOp ? await askMonitoring(p, fileMon?.enabled ?? true, promOp.prometheuses) : (fileMon?.enabled ?? false));
  const firstProm = promOp?.prometheuses.find((x) => x.labels !== undefined);
  const monitoring = monitoringOn
    ? {
        ...fileMon,
        enabled: true,
        labels: fileMon?.labels ?? firstProm?.labels,
        prometheusURL: fileMon?.prometheusURL ?? (firstProm ? `http://prometheus-operated.${firstProm.namespace}.svc:9090` : undefined),
        namespace: fileMon?.namespace ?? firstProm?.namespace,
      }
    : fileMon || f.monitoring?.enabled === false
      ? { ...fileMon, enabled: false }
      : undefined;
  const engine = facts?.keda ? ('keda' as const) : facts?.customMetrics ? ('hpa' as const) : undefined;

  // autoscaling only where the exposure mode allows it (one bridge per node, no shared Service)
  const fileAuto = file.components?.jvb?.autoscale;
  const autoFlag = f.components?.jvb?.autoscale?.enabled;
  const autoEnabled = autoFlag ?? (p ? (hostPort ? await askAutoscale(p, fileAuto?.enabled ?? false) : false) : (fileAuto?.enabled ?? false));
  if (p && !hostPort && autoFlag === undefined)
    say(`JVB autoscaling: not offered with ${mode} (needs hostPort: one bridge per node); set components.jvb.replicas instead`);
  let autoscale = fileAuto;
  if (autoEnabled) {
    const min = f.components?.jvb?.autoscale?.min ?? (p ? await askAutoscaleMin(p, fileAuto?.min ?? jvbReplicas) : (fileAuto?.min ?? 1));
    const maxCurrent = fileAuto?.max ?? Math.max(min, nodeCount);
    const max = f.components?.jvb?.autoscale?.max ?? (p ? await askAutoscaleMax(p, maxCurrent, min, nodeCount) : maxCurrent);
    const metric =
      f.components?.jvb?.autoscale?.metric ??
      (p && monitoringOn ? await askAutoscaleMetric(p, fileAuto?.metric ?? 'stress', fileAuto?.engine ?? engine) : (fileAuto?.metric ?? 'cpu'));
    const cpuPercent =
      metric === 'cpu'
        ? (f.components?.jvb?.autoscale?.cpuPercent ?? (p ? await askAutoscaleCpu(p, fileAuto?.cpuPercent ?? 70) : (fileAuto?.cpuPercent ?? 70)))
        : fileAuto?.cpuPercent;
    autoscale = { ...fileAuto, enabled: true, min, max, cpuPercent, metric, engine: metric === 'cpu' ? fileAuto?.engine : (fileAuto?.engine ?? engine) };
  } else if (fileAuto || f.components?.jvb?.autoscale?.enabled === false) {
    autoscale = { ...fileAuto, enabled: false };
  }

  const drainCurrent = file.components?.jvb?.drain?.timeout ?? '1h';
  const drainTimeout = f.components?.jvb?.drain?.timeout ?? (p ? await askDrainTimeout(p, drainCurrent) : drainCurrent);
  // 0 (the question's default, or --peak-participants 0): no figure to size for
  const peakAnswer = f.expect?.peakParticipants ?? (p ? await askPeakParticipants(p, file.expect?.peakParticipants) : file.expect?.peakParticipants);
  const peakParticipants = peakAnswer ? peakAnswer : undefined;
  const roomSizeCurrent = file.expect?.roomSize ?? 10;
  const roomSize = peakParticipants === undefined ? undefined : (f.expect?.roomSize ?? (p ? await askRoomSize(p, roomSizeCurrent) : roomSizeCurrent));

  // ---------- optional components ----------
  const fc = f.components;
  const fileEnabled: Record<OptionalComponent, boolean> = {
    jibri: file.components?.jibri?.enabled ?? false,
    jigasi: file.components?.jigasi?.enabled ?? false,
    transcriber: file.components?.transcriber?.enabled ?? false,
  };
  const flagged: Record<OptionalComponent, boolean | undefined> = {
    jibri: fc?.jibri?.enabled,
    jigasi: fc?.jigasi?.enabled,
    transcriber: fc?.transcriber?.enabled,
  };
  const unflagged = (['jibri', 'jigasi', 'transcriber'] as const).filter((c) => flagged[c] === undefined);
  const asked = p && unflagged.length > 0 ? await askComponents(p, fileEnabled, unflagged) : fileEnabled;
  const enabled: Record<OptionalComponent, boolean> = {
    jibri: flagged.jibri ?? asked.jibri,
    jigasi: flagged.jigasi ?? asked.jigasi,
    transcriber: flagged.transcriber ?? asked.transcriber,
  };
  const jibriReplicas = enabled.jibri
    ? (fc?.jibri?.replicas ?? (p ? await askJibriReplicas(p, file.components?.jibri?.replicas ?? 1) : (file.components?.jibri?.replicas ?? 1)))
    : file.components?.jibri?.replicas;

  // ---------- storage ----------
  const fileJibriVol = file.components?.jibri?.storage;
  const fileTrVol = file.components?.transcriber?.storage;
  const defaultClass = facts?.storageClasses.find((s) => s.isDefault)?.name;
  let jibriStorage = fileJibriVol;
  let transcriberStorage = fileTrVol;
  if (enabled.jibri || enabled.transcriber) {
    const flagJ = fc?.jibri?.storage;
    const flagT = fc?.transcriber?.storage;
    const classFlag = flagJ?.storageClass ?? flagT?.storageClass;
    const noVolumeFlag = flagJ?.enabled === false && flagT?.enabled === false;
    const fileVol = enabled.jibri ? fileJibriVol : fileTrVol;
    const storageCurrent: StorageChoice =
      fileVol?.enabled === false ? null : { storageClass: fileJibriVol?.storageClass ?? fileTrVol?.storageClass ?? defaultClass };
    const choice: StorageChoice =
      classFlag !== undefined
        ? { storageClass: classFlag }
        : noVolumeFlag
          ? null
          : p
            ? await askStorageClass(p, storageCurrent, facts, enabled.jibri && (jibriReplicas ?? 1) > 1)
            : storageCurrent;
    const volumeFor = async (which: 'jibri' | 'transcriber', fileV: typeof fileJibriVol, flagV: typeof flagJ, def: string) => {
      if (flagV?.enabled === false || (choice === null && flagV?.size === undefined)) return { ...fileV, enabled: false };
      const sizeCurrent = fileV?.size ?? def;
      const size = flagV?.size ?? (p ? await askVolumeSize(p, which, sizeCurrent) : sizeCurrent);
      return { ...fileV, enabled: true, size, storageClass: choice?.storageClass ?? fileV?.storageClass };
    };
    if (enabled.jibri) jibriStorage = await volumeFor('jibri', fileJibriVol, flagJ, '4Gi');
    if (enabled.transcriber) transcriberStorage = await volumeFor('transcriber', fileTrVol, flagT, '10Gi');
  }

  // ---------- video ----------
  const fv = f.video;
  const filev = file.video;
  const resolution: Resolution = fv?.resolution ?? (p ? await askResolution(p, filev?.resolution ?? 720) : (filev?.resolution ?? 720));
  const simulcast = fv?.simulcast ?? (p ? await askSimulcast(p, filev?.simulcast ?? true) : (filev?.simulcast ?? true));
  const codecsCurrent: Codec[] = filev?.codecs ?? ['VP9', 'VP8', 'H264'];
  const codecs: Codec[] = fv?.codecs ?? (p ? await askCodecs(p, codecsCurrent) : codecsCurrent);
  const preferred = codecs[0]!;
  const key = preferred.toLowerCase() as 'vp8' | 'vp9' | 'h264' | 'av1';
  const fileLayers = filev?.bitrates?.[key];
  const layers: Partial<Record<Layer, number>> = { ...fileLayers };
  for (const layer of ['low', 'standard', 'high'] as const) {
    const current = fileLayers?.[layer] ?? JITSI_BITRATES[preferred][layer];
    const value = flags.bitrates[layer] ?? (p ? await askBitrate(p, preferred, layer, current) : current);
    // keep the file small: a value equal to Jitsi's default is written only if the user wrote it before
    if (flags.bitrates[layer] !== undefined || fileLayers?.[layer] !== undefined || value !== JITSI_BITRATES[preferred][layer]) layers[layer] = value;
  }
  const bitrates = { ...filev?.bitrates, ...(Object.keys(layers).length > 0 ? { [key]: layers } : {}) };
  const ssrcRewriting = fv?.ssrcRewriting ?? (p ? await askSsrcRewriting(p, filev?.ssrcRewriting ?? true) : (filev?.ssrcRewriting ?? true));
  const lastN = fv?.lastN ?? (p ? await askLastN(p, filev?.lastN ?? -1) : filev?.lastN);

  // ---------- TLS ----------
  const ft = f.tls;
  const filet = file.tls;
  // tailscale and pangolin serve HTTPS themselves (operator Ingress / Pangolin): no certificate of ours
  const ownTls = mode !== 'tailscale' && mode !== 'pangolin';
  if (!ownTls && ft?.mode === undefined) say(`TLS: ${mode === 'tailscale' ? 'the Tailscale operator' : 'Pangolin'} serves HTTPS for the site`);
  const tlsCurrent: TlsMode = filet?.mode ?? (ownTls ? 'letsencrypt' : 'none');
  // a cluster read without cert-manager: Let's Encrypt cannot be chosen, an existing Secret is the default
  const noCertManagerIn = facts?.certManager === false ? facts.context : undefined;
  const tlsOffered: TlsMode = noCertManagerIn !== undefined && tlsCurrent === 'letsencrypt' ? 'secret' : tlsCurrent;
  const tlsMode: TlsMode = ft?.mode ?? (p && ownTls ? await askTls(p, tlsOffered, noCertManagerIn) : tlsCurrent);
  if (tlsMode === 'letsencrypt' && noCertManagerIn !== undefined) {
    refuseLetsEncrypt(filet?.mode ? 'tls.mode letsencrypt (from the --config file)' : "Let's Encrypt (the default TLS when nothing is asked)", noCertManagerIn);
  }
  const email =
    tlsMode === 'letsencrypt'
      ? (ft?.email ?? (p ? await askTlsEmail(p, filet?.email) : (filet?.email ?? missing('--tls-email', "the Let's Encrypt e-mail"))))
      : (ft?.email ?? filet?.email);
  const secretName =
    tlsMode === 'secret'
      ? (ft?.secretName ?? (p ? await askTlsSecret(p, filet?.secretName) : (filet?.secretName ?? missing('--tls-secret', 'the TLS Secret name'))))
      : (ft?.secretName ?? filet?.secretName);
  // the web Ingress is ours only with our own certificate
  const ingressClass = ft?.ingressClass ?? (p && ownTls && tlsMode !== 'none' ? await askIngressClass(p, filet?.ingressClass) : filet?.ingressClass);

  const config: ConfigInput = {
    ...file,
    apiVersion: 'jitsi-k8s/v1',
    cluster: { ...file.cluster, context, namespace, release },
    domain,
    nodes: { count: nodeCount, cpu: nodeCpu, memoryGiB: nodeMemory },
    components: {
      ...file.components,
      web: { ...file.components?.web, replicas: webReplicas },
      jvb: { ...file.components?.jvb, replicas: jvbReplicas, autoscale, drain: { ...file.components?.jvb?.drain, timeout: drainTimeout } },
      jibri: { ...file.components?.jibri, enabled: enabled.jibri, replicas: jibriReplicas, storage: jibriStorage },
      jigasi: { ...file.components?.jigasi, enabled: enabled.jigasi },
      transcriber: { ...file.components?.transcriber, enabled: enabled.transcriber, storage: transcriberStorage },
    },
    video: { ...filev, resolution, simulcast, codecs, bitrates, ssrcRewriting, lastN },
    exposure: {
      ...file.exposure,
      mode,
      publicIP,
      nodePort,
      turn: { ...file.exposure?.turn, enabled: turn },
      tailscale,
      pangolin,
    },
    tls: { ...filet, mode: tlsMode, email, secretName, ingressClass },
    monitoring,
    auth,
    expect: peakParticipants === undefined ? file.expect : { ...file.expect, peakParticipants, roomSize },
  } as ConfigInput;
  return { config: dropUndefined(config), secrets, facts };
}

/** YAML would write `key: null` for undefined; leave such keys out. */
function dropUndefined<T>(v: T): T {
  if (Array.isArray(v)) return v.map(dropUndefined) as T;
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => [k, dropUndefined(x)]),
  ) as T;
}
