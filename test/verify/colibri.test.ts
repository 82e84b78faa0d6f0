/**
 * colibri2 request/answer shapes and allocate/expire against the in-process FAKE JVB (test/verify/fake-jvb.ts;
 * Jitsi cannot run here). The same probe through a real API server's pods/proxy is test/k8s/colibri.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  allocateProbeEndpoint,
  conferenceCreateRequest,
  expireConference,
  parseEndpointTransport,
  withProbeEndpoint,
} from '../../src/cluster/colibri.js';
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
