/** Contract checks of the fake API server itself: the real @kubernetes/client-node and the real kubectl talk to it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { run } from '../../src/cluster/exec.js';
import { kubectlBin } from '../support/tools.js';
import { fakeNode, fakePod, matchesLabelSelector, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';

let api: FakeApiServer;
beforeAll(async () => {
  api = await startFakeApiServer();
  api.state.namespaces.push('jitsi');
  api.state.nodes.push(fakeNode({ name: 'n1' }));
  api.state.pods.push(fakePod({ name: 'jvb-a', component: 'jvb', node: 'n1' }), fakePod({ name: 'web-a', component: 'web', node: 'n1' }));
});
afterAll(() => api.close());

describe('fake apiserver (contract)', () => {
  it('answers @kubernetes/client-node over TLS with the kubeconfig it writes, filtering by label selector', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(api.writeKubeconfig());
    const core = kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'jitsi', labelSelector: 'app.kubernetes.io/component=jvb' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['jvb-a']);
    const last = api.requests.at(-1)!;
    expect(last.path).toBe('/api/v1/namespaces/jitsi/pods');
    expect(last.authorization).toBe(`Bearer ${api.state.token}`);
  });

  it('rejects a wrong token with 401', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(api.writeKubeconfig({ contexts: [{ name: 'bad', token: 'wrong' }] }));
    await expect(kc.makeApiClient(CoreV1Api).listNode()).rejects.toMatchObject({ code: 401 });
  });

  it('answers the real kubectl', async () => {
    const r = await run(kubectlBin(), ['--kubeconfig', api.writeKubeconfig(), 'get', 'nodes', '-o', 'json'], { timeoutMs: 30_000 });
    expect(JSON.parse(r.stdout).items[0].metadata.name).toBe('n1');
  });

  it.each([
    ['a=b', { a: 'b' }, true],
    ['a=b', { a: 'c' }, false],
    ['a!=b', { a: 'c' }, true],
    ['a in (x,y),c', { a: 'y', c: '' }, true],
    ['a notin (x)', { a: 'x' }, false],
    ['!a', {}, true],
  ])('label selector %s on %o → %s', (sel, labels, want) => {
    expect(matchesLabelSelector(labels, sel)).toBe(want);
  });
});
