/**
 * Cluster facts against a local HTTP server standing in for the Kubernetes API server (there is
 * no cluster here): a contract test of the two endpoints facts.ts calls.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterFacts, readKubeContexts, summariseNodes, summariseStorageClasses } from '../../src/cluster/facts.js';

const node = (name: string, cpu: string, memory: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: extra.spec ?? {},
  status: { allocatable: { cpu, memory, pods: '110' }, conditions: [{ type: 'Ready', status: extra.ready ?? 'True' }] },
});

const NODES = {
  kind: 'NodeList',
  apiVersion: 'v1',
  metadata: {},
  items: [
    node('cp', '4', '8025424Ki', { spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } }),
    node('w1', '7910m', '31892844Ki'),
    node('w2', '7910m', '31892844Ki'),
    node('w3', '7910m', '31892844Ki'),
    node('big', '16', '64Gi'),
    node('cordoned', '7910m', '31892844Ki', { spec: { unschedulable: true } }),
    node('sick', '7910m', '31892844Ki', { ready: 'False' }),
  ],
};

const CLASSES = {
  kind: 'StorageClassList',
  apiVersion: 'storage.k8s.io/v1',
  metadata: {},
  items: [
    { metadata: { name: 'slow-hdd' }, provisioner: 'kubernetes.io/no-provisioner' },
    { metadata: { name: 'fast-ssd', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'ebs.csi.aws.com' },
    { metadata: { name: 'nfs' }, provisioner: 'nfs.csi.k8s.io' },
  ],
};

let server: Server;
let hanging: Server;
let dir: string;
const seen: string[] = [];

function kubeconfig(file: string, clusters: { name: string; server: string }[], current: string): string {
  const path = join(dir, file);
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...clusters.flatMap((c) => [`- name: ${c.name}`, '  cluster:', `    server: ${c.server}`, '    insecure-skip-tls-verify: true']),
    'users:',
    '- name: u',
    '  user:',
    '    token: not-a-real-token',
    'contexts:',
    ...clusters.flatMap((c) => [`- name: ${c.name}`, '  context:', `    cluster: ${c.name}`, '    user: u']),
    `current-context: ${current}`,
  ].join('\n');
  writeFileSync(path, yaml);
  return path;
}

const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jk-facts-'));
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url?.split('?')[0]} ${req.headers.authorization ?? ''}`);
    const path = req.url?.split('?')[0];
    const body = path === '/api/v1/nodes' ? NODES : path === '/apis/storage.k8s.io/v1/storageclasses' ? CLASSES : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', code: 404 }));
  });
  hanging = createServer(() => {
    /* never answers: a black-holed API server */
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  hanging.closeAllConnections();
  await new Promise((r) => hanging.close(r));
  await new Promise((r) => server.close(r));
});

describe('summaries (pure)', () => {
  it('counts schedulable nodes and picks the most common allocatable size', () => {
    const n = summariseNodes(NODES.items);
    expect(n.total).toBe(7);
    expect(n.schedulable).toBe(4); // w1-w3 + big; not cp (tainted), cordoned or sick
    expect(n.common).toEqual({ cpu: 7.9, memoryGiB: 30.4 });
    expect(n.sizes).toEqual([
      { cpu: 7.9, memoryGiB: 30.4, count: 3 },
      { cpu: 16, memoryGiB: 64, count: 1 },
    ]);
  });

  it('marks the default storage class and lists it first', () => {
    expect(summariseStorageClasses(CLASSES.items)).toEqual([
      { name: 'fast-ssd', provisioner: 'ebs.csi.aws.com', isDefault: true },
      { name: 'nfs', provisioner: 'nfs.csi.k8s.io', isDefault: false },
      { name: 'slow-hdd', provisioner: 'kubernetes.io/no-provisioner', isDefault: false },
    ]);
  });
});

describe('contract: readClusterFacts against a fake API server', () => {
  it('reads contexts and the current one from $KUBECONFIG', async () => {
    const file = kubeconfig('two.yaml', [{ name: 'prod', server: urlOf(server) }, { name: 'lab', server: 'http://127.0.0.1:9' }], 'lab');
    expect(await readKubeContexts({ KUBECONFIG: file })).toEqual({ contexts: ['prod', 'lab'], current: 'lab', files: [file] });
  });

  it('no kubeconfig: no contexts, and facts give a reason', async () => {
    const env = { KUBECONFIG: join(dir, 'missing.yaml') };
    expect(await readKubeContexts(env)).toBeUndefined();
    const r = await readClusterFacts({ env });
    expect(r.facts).toBeUndefined();
    expect(r.reason).toMatch(/no kubeconfig/);
  });

  it('reads nodes and storage classes of the chosen context', async () => {
    const file = kubeconfig('two.yaml', [{ name: 'prod', server: urlOf(server) }, { name: 'lab', server: 'http://127.0.0.1:9' }], 'lab');
    seen.length = 0;
    const r = await readClusterFacts({ env: { KUBECONFIG: file }, context: 'prod' });
    expect(r.reason).toBeUndefined();
    expect(r.facts?.context).toBe('prod');
    expect(r.facts?.nodes.schedulable).toBe(4);
    expect(r.facts?.nodes.common).toEqual({ cpu: 7.9, memoryGiB: 30.4 });
    expect(r.facts?.storageClasses.find((s) => s.isDefault)?.name).toBe('fast-ssd');
    expect(seen.sort()).toEqual([
      'GET /api/v1/nodes Bearer not-a-real-token',
      'GET /apis/storage.k8s.io/v1/storageclasses Bearer not-a-real-token',
    ]);
  });

  it('an unknown context is a reason, not a crash', async () => {
    const file = kubeconfig('one.yaml', [{ name: 'prod', server: urlOf(server) }], 'prod');
    const r = await readClusterFacts({ env: { KUBECONFIG: file }, context: 'nope' });
    expect(r.reason).toMatch(/context nope is not in the kubeconfig/);
  });

  it('a refused connection is a reason, not a crash', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = urlOf(closed);
    await new Promise((r) => closed.close(r));
    const file = kubeconfig('refused.yaml', [{ name: 'gone', server: url }], 'gone');
    const r = await readClusterFacts({ env: { KUBECONFIG: file } });
    expect(r.facts).toBeUndefined();
    expect(r.reason).toMatch(/ECONNREFUSED|connect/i);
  });

  it('an API server that never answers times out quickly', async () => {
    const file = kubeconfig('hang.yaml', [{ name: 'hang', server: urlOf(hanging) }], 'hang');
    const t0 = Date.now();
    const r = await readClusterFacts({ env: { KUBECONFIG: file }, timeoutMs: 400 });
    expect(r.reason).toBe('the API server did not answer in time');
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
