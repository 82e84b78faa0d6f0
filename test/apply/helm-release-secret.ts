/**
 * A Helm release as helm's default "secrets" storage driver keeps it, so real helm run against the
 * fake API server sees an installed release: Secret `sh.helm.release.v1.<name>.v<n>`, type
 * helm.sh/release.v1, labels owner=helm,name,status,version; data.release = base64 of
 * base64(gzip(release JSON)).
 */
import { gzipSync } from 'node:zlib';

export function helmReleaseSecret(o: { name: string; namespace: string; revision?: number; status?: string; chart: { name: string; version: string }; values: unknown }) {
  const revision = o.revision ?? 1;
  const status = o.status ?? 'deployed';
  const now = new Date().toISOString();
  const release = {
    name: o.name,
    namespace: o.namespace,
    version: revision,
    info: { status, first_deployed: now, last_deployed: now, description: 'Install complete' },
    chart: { metadata: { apiVersion: 'v2', name: o.chart.name, version: o.chart.version, appVersion: 'test' }, templates: [], values: {} },
    config: o.values,
    manifest: '',
  };
  const encoded = gzipSync(Buffer.from(JSON.stringify(release))).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: {
      name: `sh.helm.release.v1.${o.name}.v${revision}`,
      namespace: o.namespace,
      labels: { owner: 'helm', name: o.name, status, version: String(revision) },
      creationTimestamp: now,
    },
    data: { release: Buffer.from(encoded).toString('base64') },
  };
}
