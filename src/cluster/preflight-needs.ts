/**
 * What a config asks of the cluster, from the config alone (pure): what the credentials must be
 * allowed, the volumes it claims, the bridges it may run. Preflight checks the cluster against these.
 */
import { EXPOSURE } from '../config/exposure.js';
import type { Config } from '../config/schema.js';
import { dataClaims } from '../render/claims.js';

/** One thing apply, status or verify asks the API server to do, and why. */
export interface Permission {
  verb: string;
  /** API group; '' = core */
  group: string;
  resource: string;
  subresource?: string;
  /** undefined = cluster-wide */
  namespace?: string;
  why: string;
}

/** What the credentials must be allowed for this config: pure, so the list is the same in every run. */
export function requiredPermissions(config: Config, namespaceExists: boolean | undefined): Permission[] {
  const ns = config.cluster.namespace;
  const out: Permission[] = [
    { verb: 'list', group: '', resource: 'nodes', why: 'sizing and preflight read the nodes' },
    { verb: 'list', group: '', resource: 'pods', namespace: ns, why: 'waiting for and reporting the pods' },
    { verb: 'get', group: '', resource: 'pods', subresource: 'proxy', namespace: ns, why: 'reading /colibri/stats from the bridges' },
    { verb: 'create', group: '', resource: 'pods', subresource: 'proxy', namespace: ns, why: 'verify allocates a test endpoint on a bridge' },
    { verb: 'list', group: 'apps', resource: 'deployments', namespace: ns, why: 'waiting for the rollout' },
    { verb: 'list', group: '', resource: 'services', namespace: ns, why: 'reading the load-balancer address' },
    // helm keeps each release in a Secret of the namespace
    ...['get', 'list', 'create', 'update', 'delete'].map((verb) => ({ verb, group: '', resource: 'secrets', namespace: ns, why: "helm's release records" })),
    // one run at a time on a release: the run holds a Lease while it changes things (pipeline/recover.ts)
    ...['get', 'create', 'update', 'delete'].map((verb) => ({
      verb,
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: ns,
      why: 'the lock one run holds on the release',
    })),
  ];
  const managed: [string, string][] = [
    ['apps', 'deployments'],
    ['apps', 'statefulsets'],
    ['', 'services'],
    ['', 'configmaps'],
    ['', 'serviceaccounts'],
    ['', 'persistentvolumeclaims'],
    ['networking.k8s.io', 'ingresses'],
  ];
  const autoscale = config.components.jvb.autoscale;
  if (autoscale.enabled)
    managed.push(
      autoscale.metric !== 'cpu' && (autoscale.engine ?? 'keda') === 'keda' ? ['keda.sh', 'scaledobjects'] : ['autoscaling', 'horizontalpodautoscalers'],
    );
  if (config.security.networkPolicies !== 'off') managed.push(['networking.k8s.io', 'networkpolicies']);
  if (config.monitoring.enabled)
    managed.push(['monitoring.coreos.com', 'podmonitors'], ['monitoring.coreos.com', 'servicemonitors'], ['monitoring.coreos.com', 'prometheusrules']);
  // the bridges' disruption budget; with hostPort the cost keeper's Role, and a planned scale-in sets the pods' deletion cost
  if (config.components.jvb.replicas > 1 || config.components.jvb.autoscale.enabled) managed.push(['policy', 'poddisruptionbudgets']);
  if (!EXPOSURE[config.exposure.mode].behindService) managed.push(['rbac.authorization.k8s.io', 'roles'], ['rbac.authorization.k8s.io', 'rolebindings']);
  if (!EXPOSURE[config.exposure.mode].behindService)
    out.push({ verb: 'patch', group: '', resource: 'pods', namespace: ns, why: 'choosing which bridge a scale-in removes (pod-deletion-cost)' });
  for (const [group, resource] of managed)
    for (const verb of ['create', 'update', 'delete']) out.push({ verb, group, resource, namespace: ns, why: 'installing the chart' });
  if (namespaceExists === false) out.push({ verb: 'create', group: '', resource: 'namespaces', why: `creating namespace ${ns}` });
  if (volumes(config).length > 0) out.push({ verb: 'list', group: 'storage.k8s.io', resource: 'storageclasses', why: 'checking the storage class' });
  if (dataClaims(config).length > 0) {
    for (const verb of ['list', 'patch'])
      out.push({
        verb,
        group: '',
        resource: 'persistentvolumeclaims',
        namespace: ns,
        why: 'handing the recording/transcript claims to the release that keeps them',
      });
  }
  return out;
}

/** `list nodes`, `get pods/proxy in jitsi`: how kubectl auth can-i names it. */
export function permissionText(p: Permission): string {
  const resource = `${p.resource}${p.group ? `.${p.group}` : ''}${p.subresource ? `/${p.subresource}` : ''}`;
  return `${p.verb} ${resource}${p.namespace ? ` in ${p.namespace}` : ' (cluster-wide)'}`;
}

/** Volumes the config asks for: [component, storage class (undefined = default), access mode, replicas]. */
export function volumes(config: Config): { component: string; storageClass?: string; accessMode: 'ReadWriteOnce' | 'ReadWriteMany'; pods: number }[] {
  const c = config.components;
  const out: { component: string; storageClass?: string; accessMode: 'ReadWriteOnce' | 'ReadWriteMany'; pods: number }[] = [];
  if (c.prosody.persistence.enabled)
    out.push({
      component: 'prosody',
      storageClass: c.prosody.persistence.storageClass,
      accessMode: c.prosody.persistence.accessMode ?? 'ReadWriteOnce',
      pods: 1,
    });
  if (c.jibri.enabled && c.jibri.storage?.enabled)
    out.push({
      component: 'jibri',
      storageClass: c.jibri.storage.storageClass,
      accessMode: c.jibri.storage.accessMode ?? 'ReadWriteMany',
      pods: c.jibri.replicas,
    });
  // the chart mounts the transcriber volume ReadWriteMany, fixed
  if (c.transcriber.enabled && c.transcriber.storage?.enabled)
    out.push({ component: 'transcriber', storageClass: c.transcriber.storage.storageClass, accessMode: 'ReadWriteMany', pods: 1 });
  // auth.mode accounts: prosody keeps its accounts on a claim of the data chart
  if (config.auth.mode === 'accounts' && !c.prosody.persistence.enabled)
    out.push({ component: 'prosody', storageClass: config.auth.accounts.storageClass, accessMode: 'ReadWriteOnce', pods: 1 });
  return out;
}

/** The most bridges the config may run: the autoscaler's max when it is on. */
export const jvbBridgesWanted = (config: Config) =>
  config.components.jvb.autoscale.enabled ? Math.max(config.components.jvb.replicas, config.components.jvb.autoscale.max) : config.components.jvb.replicas;
