/**
 * A bridge leaves only after its meetings did, whoever removes it (facts: jitsi-videobridge
 * ShutdownManager.kt, reference.conf, resources/graceful_shutdown.sh; docker-jitsi-meet
 * jvb/rootfs/defaults/jvb.conf). Chart 3.4.0 has keys for none of it but the env, so:
 * - `SHUTDOWN_REST_ENABLED=true` through jvb.extraEnvs (POST /colibri/shutdown is off by default);
 * - a preStop hook running the image's graceful_shutdown.sh (it asks for the graceful shutdown and
 *   waits until the bridge's own participants left and the JVM exited) and a terminationGracePeriodSeconds
 *   long enough for it: patches of the JVB Deployments that helm's post-renderer applies at install
 *   and every upgrade (docs/decisions.md);
 * - a PodDisruptionBudget so evictions take the bridges one at a time.
 * Pure, from templates/.
 */
import { stringify } from 'yaml';
import { parseDuration } from '../config/duration.js';
import type { Config } from '../config/schema.js';

/** Installed by the jitsi-videobridge2 package the chart's JVB image (ghcr.io/jitsi/jvb) is built on. */
export const GRACEFUL_SHUTDOWN_SCRIPT = '/usr/share/jitsi-videobridge/graceful_shutdown.sh';
/** The chart's main container in every JVB pod. */
export const JVB_CONTAINER = 'jitsi-meet';
/** The name helm knows our post-renderer by (helm 4 plugin name; helm 3 executable file name). */
export const POST_RENDERER = 'jitsi-k8s-jvb-drain';
/** The pod annotation that records, in the values, what the post-renderer adds (so a change of it is a change of the values). */
export const DRAIN_ANNOTATION = 'jitsi-k8s/graceful-shutdown';
/**
 * After its participants left a bridge waits `shutting-down-delay` (1 minute) for jicofo to move
 * whoever is left, then exits; the grace period covers that and its exit on top of the drain timeout.
 */
export const SHUTDOWN_MARGIN_S = 120;

/** The drain timeout of the config in seconds (the schema checked it parses). */
export function drainTimeoutSeconds(config: Config): number {
  return parseDuration(config.components.jvb.drain.timeout) ?? 3600;
}

/** terminationGracePeriodSeconds of a bridge pod: the drain timeout plus the bridge's own shutting-down delay and exit. */
export function drainGraceSeconds(config: Config): number {
  return drainTimeoutSeconds(config) + SHUTDOWN_MARGIN_S;
}

/** A strategic-merge patch of one Deployment (lists of containers merge by name), as kustomize reads them. */
export interface DeploymentPatch {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: { name: string };
  spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: { name: string; lifecycle: { preStop: { exec: { command: string[] } } } }[] } } };
}

export interface PostRender {
  /** the name helm knows the post-renderer by */
  name: string;
  patches: DeploymentPatch[];
  /** the patches as the post-renderer reads them (multi-document YAML, commented) */
  yaml: string;
}

/** What the post-renderer adds to every JVB Deployment the chart renders (`deployments`: their names). */
export function jvbPostRender(config: Config, deployments: string[]): PostRender {
  const grace = drainGraceSeconds(config);
  const patches = deployments.map(
    (name): DeploymentPatch => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        template: {
          spec: {
            terminationGracePeriodSeconds: grace,
            containers: [{ name: JVB_CONTAINER, lifecycle: { preStop: { exec: { command: [GRACEFUL_SHUTDOWN_SCRIPT] } } } }],
          },
        },
      },
    }),
  );
  const header = [
    `# What jitsi-k8s's helm post-renderer (${POST_RENDERER}) adds to the JVB Deployments of chart jitsi-meet 3.4.0,`,
    '# which has no keys for it: strategic-merge patches (containers merge by name), kustomize reads the same.',
    `# preStop: the image's graceful shutdown; it waits until the bridge's own participants left and the bridge exited.`,
    `# terminationGracePeriodSeconds: components.jvb.drain.timeout (${config.components.jvb.drain.timeout}) + ${SHUTDOWN_MARGIN_S}s for the bridge's shutting-down delay.`,
  ].join('\n');
  return { name: POST_RENDERER, patches, yaml: `${header}\n${patches.map((p) => stringify(p)).join('---\n')}` };
}

/** The one line in the values that says what the post-renderer adds (a pod annotation of the bridges). */
export function drainAnnotation(config: Config): string {
  return `preStop ${GRACEFUL_SHUTDOWN_SCRIPT}; terminationGracePeriodSeconds ${drainGraceSeconds(config)} (added by the ${POST_RENDERER} post-renderer)`;
}

/** The chart's labels of the bridge pods (every jvb-<i> Deployment). */
export function jvbPodLabels(config: Config): Record<string, string> {
  return { 'app.kubernetes.io/name': 'jitsi-meet', 'app.kubernetes.io/instance': config.cluster.release, 'app.kubernetes.io/component': 'jvb' };
}
