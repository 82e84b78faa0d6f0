/**
 * Cluster facts for the wizard. Contract test: readClusterFacts against the fake Kubernetes API
 * server (test/support/fake-apiserver.ts), plus the pure summaries.
 * Look-alike API server: its injected faults (a 403 on one resource, a 401, an API server that never answers) are set per
 * request; the real control plane could give the 403/401 through RBAC and tokens, not a silent server (not moved yet).
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterFacts, readKubeContexts, summariseNodes, summariseStorageClasses } from '../../src/cluster/facts.js';
import { fakeNode, fakeStorageClass, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

const NODES = [
  fakeNode({ name: 'cp', cpu: '4', memory: '8025424Ki', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
  fakeNode({ name: 'w1', cpu: '7910m', memory: '31892844Ki' }),
  fakeNode({ name: 'w2', cpu: '7910m', memory: '31892844Ki' }),
  fakeNode({ name: 'w3', cpu: '7910m', memory: '31892844Ki' }),
  fakeNode({ name: 'big', cpu: '16', memory: '64Gi' }),
  fakeNode({ name: 'cordoned', cpu: '7910m', memory: '31892844Ki', cordoned: true }),
  fakeNode({ name: 'sick', cpu: '7910m', memory: '31892844Ki', ready: false }),
];

const CLASSES = [
  fakeStorageClass({ name: 'slow-hdd', provisioner: 'kubernetes.io/no-provisioner' }),
  fakeStorageClass({ name: 'fast-ssd', provisioner: 'ebs.csi.aws.com', isDefault: true }),
  fakeStorageClass({ name: 'nfs', provisioner: 'nfs.csi.k8s.io' }),
];

let api: FakeApiServer;
let blackhole: Server;
const held = new Set<import('node:net').Socket>();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jk-facts-'));
  api = await startFakeApiServer({ nodes: NODES, storageClasses: CLASSES });
  // accepts TCP and never answers: an API server behind a black-holing firewall
  blackhole = createServer((s) => {
    held.add(s);
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await api?.close();
  // the aborted TLS handshakes stay open on the client side until the peer closes them
  for (const s of held) s.destroy();
  await new Promise((r) => blackhole.close(r));
});

describe('summaries (pure)', () => {
  it('counts schedulable nodes and picks the most common allocatable size', () => {
    const n = summariseNodes(NODES);
    expect(n.total).toBe(7);
    expect(n.schedulable).toBe(4); // w1-w3 + big; not cp (tainted), cordoned or sick
    expect(n.common).toEqual({ cpu: 7.9, memoryGiB: 30.4 });
    expect(n.sizes).toEqual([
      { cpu: 7.9, memoryGiB: 30.4, count: 3 },
      { cpu: 16, memoryGiB: 64, count: 1 },
    ]);
  });

  it('marks the default storage class and lists it first', () => {
    expect(summariseStorageClasses(CLASSES)).toEqual([
      { name: 'fast-ssd', provisioner: 'ebs.csi.aws.com', isDefault: true },
      { name: 'nfs', provisioner: 'nfs.csi.k8s.io', isDefault: false },
      { name: 'slow-hdd', provisioner: 'kubernetes.io/no-provisioner', isDefault: false },
    ]);
  });
});

describe('contract: readClusterFacts against the fake API server', () => {
  it('reads contexts and the current one from $KUBECONFIG', async () => {
    const file = api.writeKubeconfig({ contexts: [{ name: 'prod' }, { name: 'lab', server: 'https://127.0.0.1:1' }], current: 'lab' });
    expect(await readKubeContexts({ KUBECONFIG: file })).toEqual({ contexts: ['prod', 'lab'], current: 'lab', files: [file] });
  });

  it('no kubeconfig: no contexts, and facts give a reason', async () => {
    const env = { KUBECONFIG: join(dir, 'missing.yaml') };
    expect(await readKubeContexts(env)).toBeUndefined();
    const r = await readClusterFacts({ env });
    expect(r.facts).toBeUndefined();
    expect(r.reason).toMatch(/no kubeconfig/);
  });

  it('reads nodes and storage classes of the chosen context (over TLS, with the token)', async () => {
    const file = api.writeKubeconfig({ contexts: [{ name: 'prod' }, { name: 'lab', server: 'https://127.0.0.1:1' }], current: 'lab' });
    api.requests.length = 0;
    const r = await readClusterFacts({ env: { KUBECONFIG: file }, context: 'prod' });
    expect(r.reason).toBeUndefined();
    expect(r.facts?.context).toBe('prod');
    expect(r.facts?.nodes.schedulable).toBe(4);
    expect(r.facts?.nodes.common).toEqual({ cpu: 7.9, memoryGiB: 30.4 });
    expect(r.facts?.storageClasses.map((s) => `${s.name}${s.isDefault ? '*' : ''}`)).toEqual(['fast-ssd*', 'nfs', 'slow-hdd']);
    expect(api.requests.map((q) => `${q.method} ${q.path}`).sort()).toEqual(['GET /api/v1/nodes', 'GET /apis', 'GET /apis/storage.k8s.io/v1/storageclasses']);
    // read-only: nothing but GETs
    expect(api.requests.every((q) => q.method === 'GET')).toBe(true);
  });

  it('storage classes forbidden (RBAC): nodes still read, the problem is kept', async () => {
    api.state.faults.push({ path: /storageclasses/, status: 403, message: 'forbidden', times: 1 });
    const file = api.writeKubeconfig();
    const r = await readClusterFacts({ env: { KUBECONFIG: file } });
    expect(r.facts?.nodes.schedulable).toBe(4);
    expect(r.facts?.storageClasses).toEqual([]);
    expect(r.facts?.storageClassProblem).toMatch(/403/);
  });

  it('API groups forbidden: nodes still read, whether cert-manager is there stays unknown and the problem is kept', async () => {
    api.state.faults.push({ path: /^\/apis$/, status: 403, message: 'forbidden', times: 1 });
    const file = api.writeKubeconfig();
    const r = await readClusterFacts({ env: { KUBECONFIG: file } });
    expect(r.facts?.nodes.schedulable).toBe(4);
    expect(r.facts?.certManager).toBeUndefined();
    expect(r.facts?.apiGroupsProblem).toMatch(/403/);
  });

  it('a wrong token (401) is a reason, not a crash', async () => {
    const file = api.writeKubeconfig({ contexts: [{ name: 'fake', token: 'wrong' }], current: 'fake' });
    const r = await readClusterFacts({ env: { KUBECONFIG: file } });
    expect(r.facts).toBeUndefined();
    expect(r.reason).toMatch(/401/);
  });

  it('an unknown context is a reason, not a crash', async () => {
    const r = await readClusterFacts({ env: { KUBECONFIG: api.writeKubeconfig() }, context: 'nope' });
    expect(r.reason).toMatch(/context nope is not in the kubeconfig/);
  });

  it('a refused connection is a reason, not a crash', async () => {
    const file = api.writeKubeconfig({ contexts: [{ name: 'gone', server: 'https://127.0.0.1:1' }], current: 'gone' });
    const r = await readClusterFacts({ env: { KUBECONFIG: file } });
    expect(r.facts).toBeUndefined();
    expect(r.reason).toMatch(/ECONNREFUSED|connect/i);
  });

  it('Ctrl-C (the abort signal) stops reading at once', async () => {
    const port = (blackhole.address() as AddressInfo).port;
    const file = api.writeKubeconfig({ contexts: [{ name: 'hang', server: `https://127.0.0.1:${port}` }], current: 'hang' });
    const ctrlC = new AbortController();
    setTimeout(() => ctrlC.abort(), 200);
    const t0 = Date.now();
    const r = await readClusterFacts({ env: { KUBECONFIG: file }, signal: ctrlC.signal, timeoutMs: 10_000 });
    expect(r.reason).toBe('interrupted');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('an API server that never answers times out quickly', async () => {
    const port = (blackhole.address() as AddressInfo).port;
    const file = api.writeKubeconfig({ contexts: [{ name: 'hang', server: `https://127.0.0.1:${port}` }], current: 'hang' });
    const t0 = Date.now();
    const r = await readClusterFacts({ env: { KUBECONFIG: file }, timeoutMs: 400 });
    expect(r.reason).toBe('the API server did not answer in time');
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
