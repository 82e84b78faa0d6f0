/** src/cluster/kube.ts against the fake API server (contract test): kubeconfig, --context, errors with hints. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cpuCores, memoryMiB, nodeProxyPath, openKube, podProxyPath } from '../../src/cluster/kube.js';
import { CommandError, InterruptedError, UsageError } from '../../src/errors.js';
import { colibriStatsBody, fakeDeployment, fakeNode, fakePod, fakePodMetrics, fakeStorageClass, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

let api: FakeApiServer;
let kubeconfig: string;
const savedEnv = process.env.KUBECONFIG;

beforeAll(async () => {
  api = await startFakeApiServer();
  api.state.namespaces.push('jitsi');
  api.state.nodes.push(fakeNode({ name: 'n1' }), fakeNode({ name: 'n2', cordoned: true }));
  api.state.pods.push(fakePod({ name: 'jitsi-jitsi-meet-jvb-0-x', component: 'jvb', node: 'n1' }), fakePod({ name: 'jitsi-jitsi-meet-web-y', component: 'web', node: 'n1' }));
  api.state.deployments.push(fakeDeployment({ name: 'jitsi-jitsi-meet-web', component: 'web' }));
  api.state.storageClasses.push(fakeStorageClass({ name: 'local-path', isDefault: true }));
  kubeconfig = api.writeKubeconfig({
    contexts: [
      { name: 'fake', namespace: 'jitsi' },
      { name: 'other' },
      { name: 'down', server: 'https://127.0.0.1:1' },
      { name: 'expired', token: 'old-token' },
    ],
  });
});
afterAll(() => api.close());
afterEach(() => {
  api.state.faults.length = 0;
  if (savedEnv === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedEnv;
});

describe('openKube (contract test against the fake API server)', () => {
  it('loads KUBECONFIG, uses the current context and its namespace', async () => {
    process.env.KUBECONFIG = kubeconfig;
    const kube = openKube();
    expect(kube.context).toBe('fake');
    expect(kube.currentContext).toBe('fake');
    expect(kube.namespace).toBe('jitsi');
    expect(kube.contexts).toEqual(['fake', 'other', 'down', 'expired']);
    expect(kube.server).toBe(api.url);
    const pods = await kube.pods('jitsi', 'app.kubernetes.io/component=jvb');
    expect(pods.map((p) => p.metadata?.name)).toEqual(['jitsi-jitsi-meet-jvb-0-x']);
    expect(api.requests.at(-1)?.query.labelSelector).toBe('app.kubernetes.io/component=jvb');
  });

  it('honours --context and --namespace over the kubeconfig, default namespace "default"', () => {
    expect(openKube({ kubeconfig, context: 'other' }).namespace).toBe('default');
    expect(openKube({ kubeconfig, context: 'other', namespace: 'meet' }).namespace).toBe('meet');
  });

  it('a context that does not exist is a usage error naming the known ones', () => {
    expect(() => openKube({ kubeconfig, context: 'nope' })).toThrowError(UsageError);
    try {
      openKube({ kubeconfig, context: 'nope' });
    } catch (e) {
      expect((e as UsageError).hint).toContain('fake, other, down, expired');
    }
  });

  it('no kubeconfig at all is a clear error', () => {
    process.env.KUBECONFIG = '/nonexistent/kubeconfig';
    expect(() => openKube()).toThrowError(/does not exist/);
  });

  it('reads nodes, storage classes, deployments, namespaces, version, API groups', async () => {
    const kube = openKube({ kubeconfig });
    expect((await kube.nodes()).map((n) => [n.metadata?.name, n.spec?.unschedulable ?? false])).toEqual([
      ['n1', false],
      ['n2', true],
    ]);
    expect((await kube.storageClasses())[0]?.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class']).toBe('true');
    expect((await kube.deployments('jitsi'))[0]?.status?.readyReplicas).toBe(1);
    expect(await kube.namespaceExists('jitsi')).toBe(true);
    expect(await kube.namespaceExists('absent')).toBe(false);
    expect((await kube.version()).gitVersion).toBe('v1.31.2');
    expect((await kube.apiGroups()).has('metrics.k8s.io')).toBe(false);
    expect(await kube.podMetrics('jitsi')).toBeUndefined();
  });

  it('reads the metrics API when it is served', async () => {
    api.state.apiGroups.push('metrics.k8s.io');
    api.state.podMetrics.push(fakePodMetrics({ name: 'jitsi-jitsi-meet-jvb-0-x', cpu: '1250m', memory: '1536Mi' }));
    const m = await openKube({ kubeconfig }).podMetrics('jitsi');
    expect(m?.[0]?.containers[0]?.usage).toEqual({ cpu: '1250m', memory: '1536Mi' });
    api.state.apiGroups.length = 0;
  });

  it('GETs through the pod proxy and the node proxy', async () => {
    api.state.colibriStats['jitsi/jitsi-jitsi-meet-jvb-0-x'] = colibriStatsBody({ participants: 7 });
    api.state.containerUsage.push({ namespace: 'jitsi', pod: 'jitsi-jitsi-meet-jvb-0-x', container: 'jitsi-meet', nanoCores: 12_500_000 });
    const kube = openKube({ kubeconfig });
    const stats = await kube.getJson<Record<string, number>>(podProxyPath('jitsi', 'jitsi-jitsi-meet-jvb-0-x', 8080, '/colibri/stats'));
    expect(stats.participants).toBe(7);
    expect(api.requests.at(-1)?.path).toBe('/api/v1/namespaces/jitsi/pods/jitsi-jitsi-meet-jvb-0-x:8080/proxy/colibri/stats');
    const summary = await kube.getJson<{ pods: { podRef: { name: string }; containers: { name: string; cpu: { usageNanoCores: number } }[] }[] }>(nodeProxyPath('n1', 'stats/summary'));
    expect(summary.pods.find((p) => p.podRef.name === 'jitsi-jitsi-meet-jvb-0-x')?.containers[0]?.cpu.usageNanoCores).toBe(12_500_000);
  });

  it('POSTs with a JSON body (colibri2 hook) and returns non-2xx answers unthrown', async () => {
    api.state.colibri2 = ({ method, path, body }) => ({ status: 201, body: { echoed: { method, path, body } } });
    const kube = openKube({ kubeconfig });
    const r = await kube.request('POST', podProxyPath('jitsi', 'jitsi-jitsi-meet-jvb-0-x', 8080, 'colibri/v2/conferences'), { body: { meetingId: 'm1' } });
    expect(r.status).toBe(201);
    expect(JSON.parse(r.body).echoed).toEqual({ method: 'POST', path: '/colibri/v2/conferences', body: { meetingId: 'm1' } });
    expect(api.requests.at(-1)?.body).toBe('{"meetingId":"m1"}');
    const missing = await kube.request('GET', podProxyPath('jitsi', 'no-such-pod', 8080, 'colibri/stats'));
    expect(missing.status).toBe(404);
  });

  it('an unreachable server → "cluster unreachable" hint', async () => {
    const kube = openKube({ kubeconfig, context: 'down', timeoutMs: 3000 });
    const err = await kube.nodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/cannot reach the Kubernetes API server of context "down"/);
    expect((err as CommandError).hint).toMatch(/cluster unreachable — check --context \/ KUBECONFIG/);
  });

  it('a server certificate the kubeconfig does not trust → a certificate error, not "unreachable"', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const untrusting = api.writeKubeconfig({ contexts: [{ name: 'fake' }] });
    writeFileSync(untrusting, readFileSync(untrusting, 'utf8').replace(/certificate-authority-data: .*/, ''));
    const err = await openKube({ kubeconfig: untrusting }).nodes().catch((e: unknown) => e);
    expect((err as CommandError).message).toMatch(/presented a certificate we do not trust: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/);
    expect((err as CommandError).hint).toMatch(/certificate-authority/);
  });

  it('401 → credentials hint, 403 → RBAC hint, 404 → what is missing', async () => {
    const expired = await openKube({ kubeconfig, context: 'expired' }).nodes().catch((e: unknown) => e);
    expect((expired as CommandError).hint).toMatch(/credentials are missing or expired/);

    api.state.faults.push({ path: /^\/api\/v1\/nodes$/, status: 403, message: 'nodes is forbidden: User "dev" cannot list resource "nodes"' });
    const forbidden = await openKube({ kubeconfig }).nodes().catch((e: unknown) => e);
    expect((forbidden as CommandError).message).toMatch(/forbidden \(403\): nodes is forbidden: User "dev"/);
    expect((forbidden as CommandError).hint).toMatch(/RBAC/);

    const notFound = await openKube({ kubeconfig })
      .getText(nodeProxyPath('ghost', 'stats/summary'), { notFoundHint: 'node ghost is gone' })
      .catch((e: unknown) => e);
    expect((notFound as CommandError).message).toMatch(/not found \(404\): nodes "ghost" not found/);
    expect((notFound as CommandError).hint).toBe('node ghost is gone');
  });

  it('an API server that accepts but never answers times out with the unreachable hint (typed and raw calls)', async () => {
    api.state.faults.push({ path: /^\/api\/v1\/nodes/, status: 200, hang: true });
    const kube = openKube({ kubeconfig, timeoutMs: 1_000 });
    const start = Date.now();
    const typed = await kube.nodes().catch((e: unknown) => e);
    expect(Date.now() - start).toBeLessThan(5_000);
    expect((typed as CommandError).message).toBe(`listing nodes: the API server at ${api.url} did not answer within 1s`);
    expect((typed as CommandError).hint).toMatch(/cluster unreachable/);
    const raw = await kube.getText(nodeProxyPath('n1', 'stats/summary')).catch((e: unknown) => e);
    expect((raw as CommandError).message).toMatch(/did not answer within 1s/);
  });

  it('Ctrl-C during a hanging request ends it at once with InterruptedError', async () => {
    api.state.faults.push({ path: /^\/api\/v1\/nodes/, status: 200, hang: true });
    const ac = new AbortController();
    const kube = openKube({ kubeconfig, signal: ac.signal, timeoutMs: 30_000 });
    setTimeout(() => ac.abort(), 100);
    const start = Date.now();
    const typed = await kube.nodes().catch((e: unknown) => e);
    expect(typed).toBeInstanceOf(InterruptedError);
    expect(Date.now() - start).toBeLessThan(10_000); // not the 30 s request timeout
  });

  it('an aborted signal turns into InterruptedError', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await openKube({ kubeconfig, signal: ac.signal }).nodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
  });

  it.each([
    ['250m', 0.25],
    ['2', 2],
    ['1500000000n', 1.5],
    ['300u', 0.0003],
  ])('cpuCores(%s) = %s', (q, want) => expect(cpuCores(q)).toBeCloseTo(want, 9));

  it.each([
    ['1536Mi', 1536],
    ['2Gi', 2048],
    ['1048576Ki', 1024],
    ['1048576', 1],
  ])('memoryMiB(%s) = %s', (q, want) => expect(memoryMiB(q)).toBeCloseTo(want, 6));
});
