/**
 * The capacity profile in the cluster: `bench capacity save` keeps a run's capacity.json as the
 * ConfigMap `<release>-capacity` next to the release; `scale jvb --for`, `status` and `apply` read it.
 */
import { CommandError } from '../errors.js';
import { CAPACITY_CONFIGMAP_KEY, capacityConfigMapName, parseCapacityProfile, type CapacityProfile } from '../config/capacity-profile.js';
import { loadCapacityProfileFile } from '../config/file.js';
import type { Config } from '../config/schema.js';
import type { Kube } from './kube.js';

export interface ReleaseRef {
  namespace: string;
  release: string;
}

const path = (r: ReleaseRef, name?: string) => `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/configmaps${name ? `/${encodeURIComponent(name)}` : ''}`;

/** The ConfigMap a profile is kept in: labelled as the release's, the profile as JSON under one key. */
export function capacityConfigMap(r: ReleaseRef, profile: CapacityProfile): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: capacityConfigMapName(r.release),
      namespace: r.namespace,
      labels: { 'app.kubernetes.io/instance': r.release, 'app.kubernetes.io/managed-by': 'jitsi-k8s', 'app.kubernetes.io/component': 'capacity-profile' },
      annotations: { 'jitsi-k8s/measured-at': profile.measuredAt, 'jitsi-k8s/participants-per-bridge': String(profile.participantsPerBridge) },
    },
    data: { [CAPACITY_CONFIGMAP_KEY]: `${JSON.stringify(profile, null, 2)}\n` },
  };
}

/** Creates or replaces the release's capacity ConfigMap; returns "namespace/name". */
export async function saveCapacityProfile(kube: Kube, r: ReleaseRef, profile: CapacityProfile): Promise<string> {
  const body = capacityConfigMap(r, profile);
  const name = capacityConfigMapName(r.release);
  let res = await kube.request('POST', path(r), { body });
  if (res.status === 409) res = await kube.request('PUT', path(r, name), { body });
  if (res.status === 404) throw new CommandError(`namespace ${r.namespace} does not exist`, 'save the profile where the release runs: -c <its jitsi-k8s.yaml>, or install it first');
  if (res.status < 200 || res.status >= 300) {
    throw new CommandError(`cannot save ConfigMap ${r.namespace}/${name}: HTTP ${res.status} ${res.body.slice(0, 200)}`, res.status === 403 ? `your kube user needs create and update on configmaps in ${r.namespace}` : undefined);
  }
  return `${r.namespace}/${name}`;
}

/** The release's stored profile; undefined when none was saved. */
export async function readCapacityProfile(kube: Kube, r: ReleaseRef): Promise<{ profile: CapacityProfile; source: string } | undefined> {
  const name = capacityConfigMapName(r.release);
  const res = await kube.request('GET', path(r, name));
  if (res.status === 404) return undefined;
  if (res.status < 200 || res.status >= 300) throw new CommandError(`cannot read ConfigMap ${r.namespace}/${name}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  const source = `ConfigMap ${r.namespace}/${name}`;
  const text = (JSON.parse(res.body) as { data?: Record<string, string> }).data?.[CAPACITY_CONFIGMAP_KEY];
  if (!text) throw new CommandError(`${source} holds no ${CAPACITY_CONFIGMAP_KEY}`, 'save it again: jitsi-k8s bench capacity save <run folder>');
  try {
    return { profile: parseCapacityProfile(JSON.parse(text), source), source };
  } catch (e) {
    throw new CommandError(`${source}: not a capacity profile (${(e as Error).message})`, 'save it again: jitsi-k8s bench capacity save <run folder>');
  }
}

/**
 * The profile to size from: the file given (or `expect.profile`, relative to the config), else the
 * ConfigMap `bench capacity save` made (when a cluster is at hand); undefined: the published estimate.
 * A ConfigMap that cannot be read is said through `warn` and the estimate is used; a bad file is an error.
 */
export async function capacityFor(
  config: Config,
  configPath: string,
  o: { kube?: () => Kube; profile?: string; warn: (message: string) => void },
): Promise<{ profile: CapacityProfile; source: string } | undefined> {
  const file = o.profile ?? config.expect?.profile;
  if (file) return loadCapacityProfileFile(file, configPath);
  if (!o.kube) return undefined;
  try {
    return await readCapacityProfile(o.kube(), { namespace: config.cluster.namespace, release: config.cluster.release });
  } catch (e) {
    o.warn(`cannot read the capacity profile from the cluster (${(e as Error).message.split('\n')[0]}): using the published estimate`);
    return undefined;
  }
}
