import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allocateProbeEndpoint,
  conferenceCreateRequest,
  expireConference,
  parseEndpointTransport,
  withProbeEndpoint,
} from '../../src/cluster/colibri.js';
import { jvbHttpViaKube } from '../../src/cluster/verify.js';
import { openKube } from '../../src/cluster/kube.js';
import { fakePod, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { fakeJvb } from './fake-jvb.js';

const creds = { ufrag: '2b4it1ioqsv12m', pwd: '4hvp3jj7v4rrt6681oncqvmn2p' };
const candidates = [
  { type: 'host', ip: '10.244.0.10', port: 10000 },
  { type: 'srflx', ip: '203.0.113.7', port: 10000 },
  { type: 'host', ip: '10.244.0.10', port: 4443, protocol: 'tcp' },
];

describe('colibri2 request and answer shapes', () => {
  it('asks for a conference with one endpoint whose bridge side is ICE-controlled', () => {
    expect(conferenceCreateRequest('m1', 'e1')).toEqual({
      'meeting-id': 'm1',
      create: true,
      endpoints: [{ id: 'e1', create: true, transport: { 'ice-controlling': false } }],
    });
  });

  it('reads ufrag, pwd and string-typed candidates from endpoints[].transport.transport', () => {
    const jvb = fakeJvb({ ...creds, candidates });
    const answer = jvb.handle({ method: 'POST', path: 'colibri/v2/conferences', body: conferenceCreateRequest('m', 'e') }).body;
    expect(parseEndpointTransport(answer, 'e')).toEqual({
      ...creds,
      candidates: [
        { type: 'host', ip: '10.244.0.10', port: 10000, protocol: 'udp', priority: 2130706431 },
        { type: 'srflx', ip: '203.0.113.7', port: 10000, protocol: 'udp', priority: 1694498815 },
        { type: 'host', ip: '10.244.0.10', port: 4443, protocol: 'tcp', priority: 2130706431 },
      ],
      webSockets: [],
    });
  });

  it('reads the bridge-channel URL from web-sockets when the bridge advertises one', () => {
    const jvb = fakeJvb({ ...creds, candidates, webSocketBase: 'wss://meet.example.com/colibri-ws/10.244.0.10' });
    const answer = jvb.handle({ method: 'POST', path: 'colibri/v2/conferences', body: conferenceCreateRequest('m', 'e') }).body;
    expect(parseEndpointTransport(answer, 'e').webSockets).toEqual([`wss://meet.example.com/colibri-ws/10.244.0.10/m/e?pwd=${creds.pwd}`]);
  });

  it('names what is missing in an unexpected answer', () => {
    expect(() => parseEndpointTransport({}, 'e')).toThrow('no "endpoints" list');
    expect(() => parseEndpointTransport({ endpoints: [{ id: 'x' }] }, 'e')).toThrow('endpoint e missing');
    expect(() => parseEndpointTransport({ endpoints: [{ id: 'e', transport: { ufrag: 'a' } }] }, 'e')).toThrow('endpoints[].transport.transport');
    expect(() => parseEndpointTransport({ endpoints: [{ id: 'e', transport: { transport: { ufrag: 'a' } } }] }, 'e')).toThrow('no ICE ufrag/pwd');
  });
});

describe('allocate / expire against a fake JVB', () => {
  it('allocates, then expires the conference', async () => {
    const jvb = fakeJvb({ ...creds, candidates });
    const ep = await allocateProbeEndpoint(jvb.http);
    expect(ep.ufrag).toBe(creds.ufrag);
    expect(ep.pwd).toBe(creds.pwd);
    expect(ep.meetingId).toMatch(/^jitsi-k8s-verify-/);
    expect(jvb.live.has(ep.meetingId)).toBe(true);
    await expireConference(jvb.http, ep.meetingId);
    expect(jvb.live.size).toBe(0);
    expect(jvb.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /colibri/v2/conferences', `PATCH /colibri/v2/conferences/${ep.meetingId}`]);
    expect(jvb.calls[1]?.body).toEqual({ expire: true });
    // expiring again: the bridge says 404, which counts as gone
    await expect(expireConference(jvb.http, ep.meetingId)).resolves.toBeUndefined();
  });

  it('expires the conference even when the use throws', async () => {
    const jvb = fakeJvb({ ...creds, candidates });
    await expect(
      withProbeEndpoint(jvb.http, async () => {
        throw new Error('probe blew up');
      }),
    ).rejects.toThrow('probe blew up');
    expect(jvb.live.size).toBe(0);
    expect(jvb.calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });

  it('a REST API that is off (404) becomes an error with a hint about COLIBRI_REST_ENABLED', async () => {
    const jvb = fakeJvb({ ...creds, candidates, createStatus: 404, createBody: 'Not Found' });
    const err = (await allocateProbeEndpoint(jvb.http).then(
      () => ({ message: 'allocated', hint: undefined }),
      (e: unknown) => e,
    )) as { message: string; hint?: string };
    expect(err.message).toMatch(/404.*colibri2 REST API is not enabled/);
    expect(err.hint).toMatch(/COLIBRI_REST_ENABLED/);
  });

  it('a bridge in graceful shutdown is named as such', async () => {
    const jvb = fakeJvb({ ...creds, candidates, createStatus: 400, createBody: '<html><body>Failed to create conference: in graceful shutdown</body></html>' });
    const err = (await allocateProbeEndpoint(jvb.http).then(
      () => ({ message: 'allocated', hint: undefined }),
      (e: unknown) => e,
    )) as { message: string; hint?: string };
    expect(err.message).toBe('allocating a probe endpoint: the JVB refused (400: Failed to create conference: in graceful shutdown)');
    expect(err.hint).toMatch(/draining/);
  });

  it('an answer it cannot read still gets its conference expired', async () => {
    const jvb = fakeJvb({ ...creds, candidates });
    const broken = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => {
      const r = await jvb.http(method, path, body);
      return method === 'POST' ? { status: 200, json: { endpoints: [] } } : r;
    };
    await expect(allocateProbeEndpoint(broken)).rejects.toThrow('unexpected shape');
    expect(jvb.live.size).toBe(0);
  });
});

describe('allocate / expire through the Kubernetes API server pod proxy (contract test, fake API server)', () => {
  let api: FakeApiServer;
  const jvb = fakeJvb({ ...creds, candidates });

  beforeAll(async () => {
    api = await startFakeApiServer();
    api.state.pods.push(fakePod({ name: 'jitsi-jvb-0-abc', component: 'jvb' }));
    api.state.colibri2 = (req) => jvb.handle(req);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('POSTs and PATCHes /api/v1/namespaces/jitsi/pods/<pod>:8080/proxy/colibri/v2/conferences', async () => {
    const kube = openKube({ kubeconfig: api.writeKubeconfig(), timeoutMs: 10_000 });
    const http = jvbHttpViaKube(kube, 'jitsi', 'jitsi-jvb-0-abc');
    const seen = await withProbeEndpoint(http, async (ep) => ({ ...ep, liveDuringUse: jvb.live.has(ep.meetingId) }));
    expect(seen.liveDuringUse).toBe(true);
    expect(seen.candidates.map((c) => `${c.type} ${c.ip}:${c.port}/${c.protocol}`)).toEqual(['host 10.244.0.10:10000/udp', 'srflx 203.0.113.7:10000/udp', 'host 10.244.0.10:4443/tcp']);
    expect(jvb.live.size).toBe(0);
    const proxied = api.requests.filter((r) => r.path.includes('/proxy/colibri/v2/'));
    expect(proxied.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/namespaces/jitsi/pods/jitsi-jvb-0-abc:8080/proxy/colibri/v2/conferences',
      `PATCH /api/v1/namespaces/jitsi/pods/jitsi-jvb-0-abc:8080/proxy/colibri/v2/conferences/${seen.meetingId}`,
    ]);
    expect(JSON.parse(proxied[0]!.body)).toMatchObject({ create: true, endpoints: [{ transport: { 'ice-controlling': false } }] });
  });

  it('a JVB with no colibri2 (the proxy answers 404) is reported, not crashed on', async () => {
    api.state.colibri2 = undefined;
    const kube = openKube({ kubeconfig: api.writeKubeconfig(), timeoutMs: 10_000 });
    await expect(allocateProbeEndpoint(jvbHttpViaKube(kube, 'jitsi', 'jitsi-jvb-0-abc'))).rejects.toThrow(/not enabled/);
  });
});
