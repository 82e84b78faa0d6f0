/** The manifests the chart lacks: the bridges' disruption budget, JVB autoscalers (hostPort only) and VPN agents. Pure, from templates/. */
import type { Document } from 'yaml';
import type { Config } from '../config/schema.js';
import { jvbPodLabels } from './drain.js';
import { loadTemplateDocument } from './templates.js';
import { chartFullname, jvbDeploymentNames } from './values.js';

export interface Manifest {
  /** file name inside the extras chart's templates/ */
  file: string;
  kind: string;
  name: string;
  /** the manifest as data (what the cluster gets) */
  object: Record<string, unknown>;
  /** the manifest as commented YAML, filled from its base in templates/ */
  yaml: string;
  /** a helm template of the extras chart (filled by helm at apply time: secrets), not a plain manifest */
  helmTemplate?: boolean;
}

function manifest(file: string, doc: Document, helmTemplate = false): Manifest {
  const object = doc.toJS() as Record<string, unknown>;
  const meta = object.metadata as { name: string };
  return { file, kind: String(object.kind), name: meta.name, object, yaml: doc.toString({ lineWidth: 0 }), ...(helmTemplate ? { helmTemplate } : {}) };
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

function jvbAutoscalers(config: Config): Manifest[] {
  const a = config.components.jvb.autoscale;
  if (!a.enabled) return [];
  return jvbDeploymentNames(config).map((deployment) => {
    const doc = loadTemplateDocument('manifests/jvb-hpa.yaml');
    doc.setIn(['metadata', 'name'], deployment);
    doc.setIn(['metadata', 'namespace'], config.cluster.namespace);
    doc.setIn(['metadata', 'labels'], doc.createNode(extrasLabels(config, 'jvb-autoscaler')));
    doc.setIn(['spec', 'scaleTargetRef', 'name'], deployment);
    doc.setIn(['spec', 'minReplicas'], a.min);
    doc.setIn(['spec', 'maxReplicas'], a.max);
    doc.setIn(['spec', 'metrics', 0, 'resource', 'target', 'averageUtilization'], a.cpuPercent);
    return manifest(`hpa-${deployment}.yaml`, doc);
  });
}

export function newtSecretName(config: Config): string {
  return `${config.cluster.release}-newt`;
}

function newt(config: Config): Manifest[] {
  if (config.exposure.mode !== 'pangolin' || !config.exposure.pangolin) return [];
  const name = `${config.cluster.release}-newt`;
  const labels = extrasLabels(config, 'newt');
  const selector = { 'app.kubernetes.io/component': 'newt', 'jitsi-k8s/release': config.cluster.release };
  const d = loadTemplateDocument('manifests/newt.yaml');
  d.setIn(['metadata', 'name'], name);
  d.setIn(['metadata', 'namespace'], config.cluster.namespace);
  d.setIn(['metadata', 'labels'], d.createNode(labels));
  d.setIn(['spec', 'selector', 'matchLabels'], d.createNode(selector));
  d.setIn(['spec', 'template', 'metadata', 'labels'], d.createNode({ ...labels, ...selector }));
  const env = d.getIn(['spec', 'template', 'spec', 'containers', 0, 'env']) as { items: unknown[] };
  env.items.forEach((_, i) => {
    const path = ['spec', 'template', 'spec', 'containers', 0, 'env', i];
    if (d.getIn([...path, 'name']) === 'PANGOLIN_ENDPOINT') d.setIn([...path, 'value'], config.exposure.pangolin!.endpoint);
    if (d.hasIn([...path, 'valueFrom', 'secretKeyRef'])) d.setIn([...path, 'valueFrom', 'secretKeyRef', 'name'], newtSecretName(config));
  });
  const secret = loadTemplateDocument('manifests/newt-secret.yaml');
  secret.setIn(['metadata', 'name'], newtSecretName(config));
  secret.setIn(['metadata', 'namespace'], config.cluster.namespace);
  secret.setIn(['metadata', 'labels'], secret.createNode(labels));
  return [manifest('newt-deployment.yaml', d), manifest('newt-secret.yaml', secret, true)];
}

/**
 * Evictions (node drain, upgrades) take the bridges one at a time; a removed bridge drains in its preStop
 * hook. Only where there can be more than one bridge: for a single one the budget allows every eviction anyway.
 */
function jvbDisruptionBudget(config: Config): Manifest[] {
  const jvb = config.components.jvb;
  if (jvb.replicas < 2 && !jvb.autoscale.enabled) return [];
  const doc = loadTemplateDocument('manifests/jvb-pdb.yaml');
  doc.setIn(['metadata', 'name'], `${chartFullname(config.cluster.release)}-jvb`);
  doc.setIn(['metadata', 'namespace'], config.cluster.namespace);
  doc.setIn(['metadata', 'labels'], doc.createNode(extrasLabels(config, 'jvb-disruption-budget')));
  doc.setIn(['spec', 'selector', 'matchLabels'], doc.createNode(jvbPodLabels(config)));
  return [manifest('pdb-jvb.yaml', doc)];
}

/** Every extra manifest for a config, in apply order. */
export function renderManifests(config: Config): Manifest[] {
  return [...jvbDisruptionBudget(config), ...jvbAutoscalers(config), ...newt(config)];
}
