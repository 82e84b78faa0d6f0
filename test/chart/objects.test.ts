/**
 * The objects the real chart jitsi-meet 3.4.0 renders for our values (kinds, names, labels, replicas,
 * ports, hostPorts, storage, Ingress), with real `helm template`: what apply, status and uninstall
 * read on a cluster, per exposure mode, TLS mode and optional component.
 */
import { describe, expect, it } from 'vitest';
import { chartValues as values, template, WITH_STORAGE, type Any } from '../support/chart.js';
const KINDS = ['Deployment', 'StatefulSet', 'Service', 'PersistentVolumeClaim', 'Ingress', 'Certificate', 'ServiceAccount'];

/** What the tool and the cluster read of each object: names, selectors, replicas, ports, storage. */
function shape(o: Any): Any {
  const pod = o.spec?.template?.spec;
  const main = pod?.containers?.[0];
  return {
    id: `${o.kind} ${o.metadata.name}`,
    component: o.metadata.labels?.['app.kubernetes.io/component'],
    instance: o.metadata.labels?.instance,
    ...(o.kind === 'Deployment' || o.kind === 'StatefulSet'
      ? {
          replicas: o.spec.replicas,
          selector: o.spec.selector.matchLabels,
          strategy: o.spec.strategy?.type,
          hostNetwork: pod.hostNetwork,
          // `resources: {}` and none mean the same to the scheduler
          resources: Object.keys(main?.resources ?? {}).length > 0 ? main.resources : undefined,
          container: main?.name,
          ports: main?.ports?.map((p: Any) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol, hostPort: p.hostPort })),
          claims: (pod.volumes ?? []).filter((v: Any) => v.persistentVolumeClaim).map((v: Any) => v.persistentVolumeClaim.claimName),
          claimTemplates: o.spec.volumeClaimTemplates?.map((t: Any) => ({ name: t.metadata.name, size: t.spec.resources.requests.storage, storageClass: t.spec.storageClassName })),
        }
      : {}),
    ...(o.kind === 'Service'
      ? {
          type: o.spec.type,
          loadBalancerClass: o.spec.loadBalancerClass,
          selector: o.spec.selector,
          ports: o.spec.ports.filter((p: Any) => p.protocol === 'UDP' || o.metadata.labels?.['app.kubernetes.io/component'] === 'web').map((p: Any) => ({ name: p.name, protocol: p.protocol, port: p.port, nodePort: p.nodePort })),
        }
      : {}),
    ...(o.kind === 'PersistentVolumeClaim' ? { accessModes: o.spec.accessModes, size: o.spec.resources.requests.storage, storageClass: o.spec.storageClassName } : {}),
    ...(o.kind === 'Ingress' ? { ingressClassName: o.spec.ingressClassName, hosts: o.spec.rules.map((r: Any) => r.host), tls: o.spec.tls, annotations: o.metadata.annotations } : {}),
  };
}

async function objects(values: Any): Promise<Any[]> {
  return (await template(values))
    // the chart's `helm test` Pod is a hook: upgrade --install never creates it
    .filter((o) => KINDS.includes(o.kind) && !o.metadata.annotations?.['helm.sh/hook'])
    .map(shape)
    .sort((a, b) => a.id.localeCompare(b.id));
}

const ids = (objs: Any[]) => objs.map((o) => o.id);
const byId = (objs: Any[], id: string): Any => {
  const found = objs.find((o) => o.id === id);
  if (!found) throw new Error(`no ${id} among the rendered objects: ${objs.map((o) => o.id).join(', ')}`);
  return found;
};
const CORE = ['Deployment jitsi-jitsi-meet-jicofo', 'Deployment jitsi-jitsi-meet-web', 'Service jitsi-jitsi-meet-prosody', 'Service jitsi-jitsi-meet-web', 'ServiceAccount jitsi-jitsi-meet', 'StatefulSet jitsi-jitsi-meet-prosody'];

/** [name, config overrides, what the chart renders for them] */
const CASES: [string, Record<string, unknown>, (objs: Any[]) => void][] = [
  [
    'loadBalancer, 4 bridges: one Deployment and one UDP port each, one LoadBalancer Service',
    { components: { jvb: { replicas: 4 } }, exposure: { loadBalancerClass: 'metallb' } },
    (objs) => {
      expect(ids(objs)).toEqual(
        [...CORE, 'Ingress jitsi-jitsi-meet-web', 'Service jitsi-jitsi-meet-jvb', ...[0, 1, 2, 3].map((i) => `Deployment jitsi-jitsi-meet-jvb-${i}`)].sort(),
      );
      const svc = byId(objs, 'Service jitsi-jitsi-meet-jvb');
      expect(svc).toMatchObject({ type: 'LoadBalancer', loadBalancerClass: 'metallb', selector: { 'app.kubernetes.io/component': 'jvb', 'app.kubernetes.io/instance': 'jitsi' } });
      expect(svc.ports).toEqual([0, 1, 2, 3].map((i) => ({ name: `rtp-udp-${i}`, protocol: 'UDP', port: 10000 + i })));
      const jvb2 = byId(objs, 'Deployment jitsi-jitsi-meet-jvb-2');
      expect(jvb2).toMatchObject({ replicas: 1, instance: '2', selector: { instance: '2', 'app.kubernetes.io/component': 'jvb' } });
      expect(jvb2.ports).toEqual([{ name: 'rtp-udp-2', containerPort: 10002, protocol: 'UDP' }, { name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      expect(jvb2.resources.requests.cpu).toBeDefined();
    },
  ],
  [
    'hostPort, 3 bridges: one Deployment of 3 on hostPort 10000, Recreate, no JVB Service',
    { nodes: { count: 4 }, exposure: { mode: 'hostPort', publicIP: undefined }, components: { jvb: { replicas: 3 } } },
    (objs) => {
      expect(ids(objs)).toEqual([...CORE, 'Deployment jitsi-jitsi-meet-jvb-0', 'Ingress jitsi-jitsi-meet-web'].sort());
      const jvb = byId(objs, 'Deployment jitsi-jitsi-meet-jvb-0');
      expect(jvb).toMatchObject({ replicas: 3, strategy: 'Recreate' });
      expect(jvb.ports[0]).toEqual({ name: 'rtp-udp-0', containerPort: 10000, protocol: 'UDP', hostPort: 10000 });
    },
  ],
  [
    'nodePort with TURN: NodePorts per bridge, coturn Deployment and Service, turns Certificate',
    { components: { jvb: { replicas: 2 } }, exposure: { mode: 'nodePort', nodePort: 30100, turn: { enabled: true } } },
    (objs) => {
      expect(byId(objs, 'Service jitsi-jitsi-meet-jvb').ports).toEqual([0, 1].map((i) => ({ name: `rtp-udp-${i}`, protocol: 'UDP', port: 10000 + i, nodePort: 30100 + i })));
      expect(ids(objs)).toEqual(expect.arrayContaining(['Deployment jitsi-jitsi-meet-coturn', 'Service jitsi-jitsi-meet-coturn', 'Certificate jitsi-jitsi-meet-coturn-tls']));
    },
  ],
  [
    'tailscale: tailnet Ingress with the short name, LoadBalancer class tailscale',
    { exposure: { mode: 'tailscale', publicIP: undefined, tailscale: { hostname: 'meet' } }, tls: { mode: 'none' } },
    (objs) => {
      expect(byId(objs, 'Ingress jitsi-jitsi-meet-web')).toMatchObject({ ingressClassName: 'tailscale', hosts: ['meet'], tls: [{ hosts: ['meet'] }] });
      expect(byId(objs, 'Service jitsi-jitsi-meet-jvb')).toMatchObject({ type: 'LoadBalancer', loadBalancerClass: 'tailscale' });
    },
  ],
  [
    'pangolin, 2 bridges: ClusterIP JVB Service, no Ingress',
    { exposure: { mode: 'pangolin', publicIP: '198.51.100.7', pangolin: { endpoint: 'https://pangolin.example.com' } }, components: { jvb: { replicas: 2 } } },
    (objs) => {
      expect(ids(objs)).not.toContain('Ingress jitsi-jitsi-meet-web');
      expect(byId(objs, 'Service jitsi-jitsi-meet-jvb')).toMatchObject({ type: 'ClusterIP' });
      expect(ids(objs)).toEqual(expect.arrayContaining(['Deployment jitsi-jitsi-meet-jvb-0', 'Deployment jitsi-jitsi-meet-jvb-1']));
    },
  ],
  [
    'tls none on a LoadBalancer: web Service is the LoadBalancer, no Ingress',
    { tls: { mode: 'none' } },
    (objs) => {
      expect(ids(objs)).not.toContain('Ingress jitsi-jitsi-meet-web');
      expect(byId(objs, 'Service jitsi-jitsi-meet-web')).toMatchObject({ type: 'LoadBalancer', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] });
    },
  ],
  [
    'jibri, jigasi, transcriber with storage, prosody persistence: jibri and transcriber mount our kept claims, the chart makes none; the prosody claim template',
    WITH_STORAGE,
    (objs) => {
      // the claims come from our data chart (render/claims.ts), with a keep policy
      expect(objs.filter((o) => o.id.startsWith('PersistentVolumeClaim'))).toEqual([]);
      expect(byId(objs, 'Deployment jitsi-jitsi-meet-jibri')).toMatchObject({ replicas: 2, claims: ['jitsi-jitsi-meet-jibri'] });
      expect(byId(objs, 'Deployment jitsi-jitsi-meet-transcriber')).toMatchObject({ claims: ['jitsi-jitsi-meet-transcriber'] });
      expect(ids(objs)).toEqual(expect.arrayContaining(['Deployment jitsi-jitsi-meet-jigasi', 'Deployment jitsi-jitsi-meet-transcriber', 'Service jitsi-jitsi-meet-jibri']));
      expect(byId(objs, 'StatefulSet jitsi-jitsi-meet-prosody').claimTemplates).toEqual([{ name: 'prosody-data', size: '2Gi', storageClass: 'local-path' }]);
    },
  ],
];

describe('the objects the real jitsi-meet 3.4.0 chart renders for our values', () => {
  it.each(CASES)('%s', async (_name, overrides, expectations) => {
    expectations(await objects(values(overrides)));
  });

  it('persistence without existingClaim (as an older jitsi-k8s rendered it): the chart makes the claims itself', async () => {
    const v = values({ components: { jibri: { enabled: true, storage: { enabled: true, size: '20Gi', storageClass: 'nfs' } }, transcriber: { enabled: true, storage: { enabled: true, size: '5Gi' } } } });
    v.jibri.persistence = { enabled: true, size: '20Gi', storageClassName: 'nfs', accessModes: ['ReadWriteMany'] };
    v.transcriber.persistence = { enabled: true, size: '5Gi' };
    const objs = await objects(v);
    expect(byId(objs, 'PersistentVolumeClaim jitsi-jitsi-meet-jibri')).toMatchObject({ component: 'jibri', accessModes: ['ReadWriteMany'], size: '20Gi', storageClass: 'nfs' });
    expect(byId(objs, 'PersistentVolumeClaim jitsi-jitsi-meet-transcriber')).toMatchObject({ component: 'transcriber', accessModes: ['ReadWriteMany'], size: '5Gi' });
    expect(byId(objs, 'Deployment jitsi-jitsi-meet-jibri')).toMatchObject({ claims: ['jitsi-jitsi-meet-jibri'] });
  });
});
