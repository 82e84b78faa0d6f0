/** The manifests the chart lacks: JVB autoscalers (hostPort only) and VPN agents. Pure, from templates/. */
import type { Config } from '../config/schema.js';
import { loadTemplate } from './templates.js';
import { chartFullname, jvbDeploymentNames } from './values.js';

export interface Manifest {
  /** file name inside the extras chart's templates/ */
  file: string;
  kind: string;
  name: string;
  object: Record<string, unknown>;
}

export const MANAGED_BY = 'jitsi-k8s';

export function extrasLabels(config: Config, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': chartFullname(config.cluster.release),
    'app.kubernetes.io/component': component,
    'jitsi-k8s/release': config.cluster.release,
  };
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- YAML bases are untyped documents

function jvbAutoscalers(config: Config): Manifest[] {
  const a = config.components.jvb.autoscale;
  if (!a.enabled) return [];
  return jvbDeploymentNames(config).map((deployment) => {
    const hpa = loadTemplate<Obj>('manifests/jvb-hpa.yaml');
    hpa.metadata.name = deployment;
    hpa.metadata.namespace = config.cluster.namespace;
    hpa.metadata.labels = extrasLabels(config, 'jvb-autoscaler');
    hpa.spec.scaleTargetRef.name = deployment;
    hpa.spec.minReplicas = a.min;
    hpa.spec.maxReplicas = a.max;
    hpa.spec.metrics[0].resource.target.averageUtilization = a.cpuPercent;
    return { file: `hpa-${deployment}.yaml`, kind: 'HorizontalPodAutoscaler', name: deployment, object: hpa };
  });
}

export function newtSecretName(config: Config): string {
  return `${config.cluster.release}-newt`;
}

function newt(config: Config): Manifest[] {
  if (config.exposure.mode !== 'pangolin' || !config.exposure.pangolin) return [];
  const name = `${config.cluster.release}-newt`;
  const labels = extrasLabels(config, 'newt');
  const d = loadTemplate<Obj>('manifests/newt.yaml');
  d.metadata.name = name;
  d.metadata.namespace = config.cluster.namespace;
  d.metadata.labels = labels;
  const selector = { 'app.kubernetes.io/component': 'newt', 'jitsi-k8s/release': config.cluster.release };
  d.spec.selector.matchLabels = selector;
  d.spec.template.metadata.labels = { ...labels, ...selector };
  const container = d.spec.template.spec.containers[0];
  for (const env of container.env as Obj[]) {
    if (env.name === 'PANGOLIN_ENDPOINT') env.value = config.exposure.pangolin.endpoint;
    if (env.valueFrom?.secretKeyRef) env.valueFrom.secretKeyRef.name = newtSecretName(config);
  }
  return [{ file: `newt-deployment.yaml`, kind: 'Deployment', name, object: d }];
}

/** Every extra manifest for a config, in apply order. */
export function renderManifests(config: Config): Manifest[] {
  return [...jvbAutoscalers(config), ...newt(config)];
}
