/** verify's web check: one HTTPS GET of the site with certificate verification, and what its answer means. */
import { request as httpsRequest } from 'node:https';
import { fixedLookup } from './signalling.js';
import type { VerifyCheck } from './verify-check.js';

export interface WebCheckOptions {
  timeoutMs: number;
  connectAddress?: string;
  ca?: string;
  signal?: AbortSignal;
}

export type WebAnswer = { status: number; elapsedMs: number; server?: string } | { error: string; code?: string; elapsedMs: number };

/** One HTTPS GET with certificate verification; TLS and network failures come back as codes. */
export function checkHttps(url: string, opts: WebCheckOptions): Promise<WebAnswer> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const u = new URL(url);
    const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
    const req = httpsRequest(
      u,
      {
        method: 'GET',
        headers: { 'user-agent': 'jitsi-k8s-verify', accept: 'text/html' },
        signal,
        servername: u.hostname,
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.connectAddress ? { lookup: fixedLookup(opts.connectAddress) } : {}),
        agent: false,
      },
      (res) => {
        res.resume();
        const server = res.headers.server;
        res.on('end', () => resolve({ status: res.statusCode ?? 0, elapsedMs: elapsed(), ...(typeof server === 'string' ? { server } : {}) }));
        res.on('error', (e) => resolve({ error: e.message, elapsedMs: elapsed() }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      const timedOut = signal.aborted && !(opts.signal?.aborted ?? false);
      resolve({ error: timedOut ? `no answer within ${Math.round(opts.timeoutMs / 1000)}s` : e.message, code: timedOut ? 'TIMEOUT' : e.code, elapsedMs: elapsed() });
    });
    req.end();
  });
}

const TLS_HINTS: { test: RegExp; hint: string }[] = [
  {
    test: /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/,
    hint: 'the certificate is not trusted: with letsencrypt, check `kubectl get certificate,certificaterequest -n <ns>` (still pending or staging issuer?); with tls.mode secret, the Secret must hold a publicly trusted chain',
  },
  { test: /ALTNAME/, hint: 'the certificate is for another name: it must cover the domain in the config (check the Ingress TLS host and the certificate)' },
  { test: /CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/, hint: 'the certificate is expired or not yet valid: renew it (cert-manager renews automatically when it works)' },
  { test: /ENOTFOUND|EAI_AGAIN/, hint: 'the domain does not resolve: create the DNS record for it (pointing at the load balancer / ingress address)' },
  { test: /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/, hint: 'nothing accepts connections on 443 there: check the ingress controller / web Service and firewalls' },
  { test: /TIMEOUT|ETIMEDOUT/, hint: 'no answer on 443: a firewall drops it, or the address is not the ingress / load balancer' },
];

export function webCheck(url: string, answer: WebAnswer): VerifyCheck {
  const base = { id: 'web', title: 'web over HTTPS' };
  if ('status' in answer) {
    if (answer.status >= 200 && answer.status < 400) {
      return { ...base, verdict: 'ok', message: `${url} answered ${answer.status} in ${answer.elapsedMs} ms`, details: { ...answer } };
    }
    return {
      ...base,
      verdict: 'fail',
      message: `${url} answered ${answer.status}`,
      hint: answer.status >= 500 ? 'the ingress cannot reach healthy web pods: check them with `kubectl get pods -n <ns>` and the Ingress backend' : 'check the Ingress host and path rules for the domain',
      details: { ...answer },
    };
  }
  const code = answer.code ?? '';
  const hint = TLS_HINTS.find((h) => h.test.test(code) || h.test.test(answer.error))?.hint;
  return { ...base, verdict: 'fail', message: `${url}: ${answer.error}${code && !answer.error.includes(code) ? ` (${code})` : ''}`, ...(hint ? { hint } : {}), details: { ...answer } };
}
