/** The manifests the chart lacks: the bridges' disruption budget, JVB autoscalers (hostPort only) and VPN agents. Pure, from templates/. */
import { Document } from 'yaml';
import { EXPOSURE } from '../config/exposure.js';
import type { Config } from '../config/schema.js';
import { jvbPodLabels } from './drain.js';
import { extrasLabels, manifest, type Manifest } from './manifest.js';
import { jvbHpa, metricAutoscalers, monitoringManifests } from './monitoring.js';
import { loadProgram, loadTemplateDocument } from './templates.js';
import { chartFullname, jvbDeploymentNames } from './values.js';

export { extrasLabels, MANAGED_BY, manifest, type Manifest } from './manifest.js';

function jvbAutoscalers(config: Config): Manifest[] {
  const a = config.components.jvb.autoscale;
  if (!a.enabled) return [];
  if (a.metric !== 'cpu') return metricAutoscalers(config);
  return jvbDeploymentNames(config).map((deployment) => {
    const doc = jvbHpa(config, deployment);
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

/** The deletion-cost keeper's name: `<release>-jvb-cost-keeper`. */
export function keeperName(config: Config): string {
  return `${config.cluster.release}-jvb-cost-keeper`;
}

/**
 * hostPort: one Deployment runs several bridges and a ReplicaSet picks which goes on scale-in: the keeper
 * keeps each pod's deletion cost at its own participants. Behind a Service every bridge is its own Deployment.
 */
function costKeeper(config: Config): Manifest[] {
  if (EXPOSURE[config.exposure.mode].behindService) return [];
  const name = keeperName(config);
  const ns = config.cluster.namespace;
  const keeper = config.components.jvb.drain.keeper;
  const labels = extrasLabels(config, 'jvb-cost-keeper');
  const selector = { 'app.kubernetes.io/component': 'jvb-cost-keeper', 'jitsi-k8s/release': config.cluster.release };
  const program = loadProgram('keeper.mjs');
  const plain = (file: string, object: Record<string, unknown>) => manifest(file, new Document(object));
  const role = loadTemplateDocument('manifests/keeper-role.yaml');
  role.setIn(['metadata', 'name'], name);
  role.setIn(['metadata', 'namespace'], ns);
  role.setIn(['metadata', 'labels'], role.createNode(labels));
  const d = loadTemplateDocument('manifests/keeper.yaml');
  d.setIn(['metadata', 'name'], name);
  d.setIn(['metadata', 'namespace'], ns);
  d.setIn(['metadata', 'labels'], d.createNode(labels));
  d.setIn(['spec', 'selector', 'matchLabels'], d.createNode(selector));
  d.setIn(['spec', 'template', 'metadata', 'labels'], d.createNode({ ...labels, ...selector }));
  // a new program restarts the keeper
  // node:crypto loads only for a release that has the keeper (as render/index.ts does for the extras digest)
  d.setIn(
    ['spec', 'template', 'metadata', 'annotations'],
    d.createNode({ 'jitsi-k8s/program': process.getBuiltinModule('node:crypto').createHash('sha256').update(program).digest('hex').slice(0, 16) }),
  );
  d.setIn(['spec', 'template', 'spec', 'serviceAccountName'], name);
  d.setIn(['spec', 'template', 'spec', 'containers', 0, 'image'], keeper.image);
  d.setIn(
    ['spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value'],
    Object.entries(jvbPodLabels(config))
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );
  d.setIn(['spec', 'template', 'spec', 'containers', 0, 'env', 1, 'value'], String(keeper.periodSeconds));
  d.setIn(['spec', 'template', 'spec', 'volumes', 0, 'configMap', 'name'], name);
  return [
    plain('keeper-serviceaccount.yaml', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels } }),
    manifest('keeper-role.yaml', role),
    plain('keeper-rolebinding.yaml', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    }),
    plain('keeper-configmap.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: { 'keeper.mjs': program } }),
    manifest('keeper-deployment.yaml', d),
  ];
}

/** Every extra manifest for a config, in apply order. */
export function renderManifests(config: Config): Manifest[] {
  return [...jvbDisruptionBudget(config), ...jvbAutoscalers(config), ...costKeeper(config), ...newt(config), ...monitoringManifests(config)];
}
