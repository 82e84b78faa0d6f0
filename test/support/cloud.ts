/**
 * The test plays the cloud on the test control plane, where nothing else does: a loop that writes
 * load-balancer addresses into Service status (the status subresource, as a cloud controller would),
 * tailnet names into Ingress status (as the Tailscale operator would), and binds Pending PVCs with
 * PersistentVolumes of its own (as a provisioner would). Addresses written are never contacted.
 */
import { CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';

export interface CloudOptions {
  kubeconfig: string;
  namespace: string;
  /** what a LoadBalancer Service gets, by name (one entry, or the list as the Tailscale operator writes it); default: the `*` entry */
  loadBalancers?: Record<string, { ip?: string; hostname?: string } | { ip?: string; hostname?: string }[]>;
  /** what an Ingress gets in its status, by name */
  ingresses?: Record<string, { hostname?: string; ip?: string }>;
  /** bind Pending PVCs with PVs of this storage class */
  bindClaims?: boolean;
}

export interface Cloud {
  stop(): Promise<void>;
  /** what the loop did, for assertions and failure messages */
  log: string[];
}

export function playCloud(o: CloudOptions): Cloud {
  const kc = new KubeConfig();
  kc.loadFromFile(o.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const log: string[] = [];
  let stopped = false;
  const round = async () => {
    for (const svc of (await core.listNamespacedService({ namespace: o.namespace })).items) {
      if (svc.spec?.type !== 'LoadBalancer' || svc.status?.loadBalancer?.ingress?.length) continue;
      const name = svc.metadata!.name!;
      const address = o.loadBalancers?.[name] ?? o.loadBalancers?.['*'];
      if (!address) continue;
      svc.status = { ...svc.status, loadBalancer: { ingress: Array.isArray(address) ? address : [address] } };
      await core.replaceNamespacedServiceStatus({ name, namespace: o.namespace, body: svc });
      log.push(`service ${name}: ${JSON.stringify(address)}`);
    }
    for (const ing of (await net.listNamespacedIngress({ namespace: o.namespace })).items) {
      const name = ing.metadata!.name!;
      const address = o.ingresses?.[name];
      if (!address || ing.status?.loadBalancer?.ingress?.length) continue;
      ing.status = { loadBalancer: { ingress: [address] } };
      await net.replaceNamespacedIngressStatus({ name, namespace: o.namespace, body: ing });
      log.push(`ingress ${name}: ${JSON.stringify(address)}`);
    }
    if (!o.bindClaims) return;
    for (const pvc of (await core.listNamespacedPersistentVolumeClaim({ namespace: o.namespace })).items) {
      if (pvc.status?.phase !== 'Pending' || pvc.spec?.volumeName) continue;
      const name = `${o.namespace}-${pvc.metadata!.name!}`.slice(0, 63);
      await core
        .createPersistentVolume({
          body: {
            metadata: { name, labels: { 'jitsi-k8s-test': o.namespace } },
            spec: {
              capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
              accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
              storageClassName: pvc.spec?.storageClassName ?? '',
              persistentVolumeReclaimPolicy: 'Retain',
              claimRef: { namespace: o.namespace, name: pvc.metadata!.name! },
              // never mounted: kwok runs no containers
              hostPath: { path: `/nonexistent/${name}` },
            },
          },
        })
        .then(
          () => log.push(`pv ${name} for claim ${pvc.metadata!.name}`),
          (e: { code?: number }) => {
            if (e.code !== 409) throw e;
          },
        );
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await round().catch((e: unknown) => log.push(`error: ${(e as Error).message.split('\n')[0]}`));
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return {
    log,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Deletes the PVs the cloud made for a namespace. */
export async function removeVolumes(kubeconfig: string, namespace: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await core.deleteCollectionPersistentVolume({ labelSelector: `jitsi-k8s-test=${namespace}` }).catch(() => undefined);
}
