/** Options for the site under test: page size, display names, certificates, token and room password sources. */
import { describe, expect, it } from 'vitest';
import { JWT_ENV, parseViewport, resolveJwt, scenarioInput, toScenario } from '../../src/bench/options.js';
import { browserFlags } from '../../src/bench/browsers.js';
import { trustedOrigin } from '../../src/bench/step/launch.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJyb29tIjoiKiJ9.c2ln';
const noFile = () => {
  throw new Error('ENOENT: no such file');
};

describe('site options', () => {
  it('a realistic page size by default; --viewport WxH', () => {
    const input = (flags: object) => toScenario(scenarioInput({ flags: { url: 'https://meet.example.com', ...flags }, defaultOut: 'out' }));
    expect(input({}).viewport).toEqual({ width: 1280, height: 720 });
    expect(input({ viewport: '1920x1080' }).viewport).toEqual({ width: 1920, height: 1080 });
    expect(() => parseViewport('big')).toThrow(/--viewport: not a page size such as 1280x720/);
    expect(() => input({ viewport: '10x10' })).toThrow(/--viewport/);
    expect(input({ displayName: 'loadbot', insecure: true })).toMatchObject({ displayName: 'loadbot', insecure: true });
  });

  it.each([
    ['--jwt-file', { jwtFile: '/t', readFile: () => `${TOKEN}\n` }, TOKEN, undefined],
    [JWT_ENV, { env: { [JWT_ENV]: TOKEN } }, TOKEN, undefined],
    ['--jwt (warned: argv is visible)', { jwt: TOKEN }, TOKEN, /process list/],
    ['none', {}, undefined, undefined],
  ])('the token from %s', (_what, src, jwt, warning) => {
    const r = resolveJwt({ env: {}, readFile: noFile, ...src });
    expect(r.jwt).toBe(jwt);
    if (warning) expect(r.warning).toMatch(warning);
    else expect(r.warning).toBeUndefined();
  });

  it('refuses two sources, an unreadable file, a value that is not a JWT — without echoing it', () => {
    expect(() => resolveJwt({ jwt: TOKEN, env: { [JWT_ENV]: TOKEN }, readFile: noFile })).toThrow(/one way/);
    expect(() => resolveJwt({ jwtFile: '/nope', env: {}, readFile: noFile })).toThrow(/--jwt-file: cannot read \/nope/);
    let message = '';
    try {
      resolveJwt({ jwt: 'hunter2', env: {}, readFile: noFile });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/--jwt: not a JWT/);
    expect(message).not.toContain('hunter2');
  });

  it('--insecure and http sites reach Chrome; the viewport is the page size', () => {
    const video = { width: 640, height: 360, fps: 15 };
    const viewport = { width: 1280, height: 720 };
    expect(browserFlags({ kind: 'receiver', video, viewport, loopback: false, insecure: true })).toContain('--ignore-certificate-errors');
    expect(browserFlags({ kind: 'receiver', video, viewport, loopback: false })).not.toContain('--ignore-certificate-errors');
    expect(trustedOrigin({ target: 'jitsi', url: 'http://meet.internal:8000/base/' }, undefined)).toBe('http://meet.internal:8000');
    expect(trustedOrigin({ target: 'jitsi', url: 'https://meet.example.com' }, undefined)).toBeUndefined();
  });
});
