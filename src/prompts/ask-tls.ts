/** Questions about TLS for the web site. */
import { TLS_MODES } from '../config/schema.js';
import type { Prompter } from './prompter.js';

export type TlsMode = (typeof TLS_MODES)[number];

const TLS_CHOICES: Record<TlsMode, { name: string; description: string }> = {
  letsencrypt: { name: "Let's Encrypt via cert-manager", description: 'cert-manager must be installed; the domain must resolve to the cluster for the HTTP-01 challenge' },
  secret: { name: 'existing TLS Secret', description: 'you provide a kubernetes.io/tls Secret in the namespace' },
  none: { name: 'none', description: 'plain HTTP behind your own TLS proxy; browsers refuse camera and microphone without HTTPS' },
};

export const CERT_MANAGER_INSTALL = 'https://cert-manager.io/docs/installation/helm/';

/**
 * `noCertManagerIn`: the context of a cluster read without cert-manager. Let's Encrypt is then shown
 * but cannot be chosen (preflight would stop the install), and a line says what is missing.
 */
export async function askTls(p: Prompter, current: TlsMode, noCertManagerIn?: string): Promise<TlsMode> {
  p.note('TLS: browsers allow camera and microphone only on HTTPS pages.');
  if (noCertManagerIn !== undefined) {
    p.note(`Let's Encrypt needs cert-manager, which cluster ${noCertManagerIn} does not have: install it first (${CERT_MANAGER_INSTALL}) and run init again to choose it.`);
  }
  const disabled = (m: TlsMode) => (m === 'letsencrypt' && noCertManagerIn !== undefined ? { disabled: `cert-manager not found in cluster ${noCertManagerIn}` } : {});
  return p.select({
    name: 'tls',
    message: 'TLS certificate',
    choices: TLS_MODES.map((m) => ({ value: m, name: TLS_CHOICES[m].name, description: TLS_CHOICES[m].description, ...disabled(m) })),
    default: current,
  });
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function askTlsEmail(p: Prompter, current: string | undefined): Promise<string> {
  return p.input({ name: 'tlsEmail', message: "Let's Encrypt account e-mail", default: current, validate: (v) => (EMAIL.test(v) ? true : 'an e-mail address') });
}

export async function askTlsSecret(p: Prompter, current: string | undefined): Promise<string> {
  return p.input({ name: 'tlsSecret', message: 'TLS Secret name', default: current, validate: (v) => (/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) ? true : 'a Kubernetes Secret name') });
}

export async function askIngressClass(p: Prompter, current: string | undefined): Promise<string | undefined> {
  p.note('Ingress class: which ingress controller serves the site (empty = the cluster default).');
  const v = await p.input({ name: 'ingressClass', message: 'Ingress class (optional)', default: current });
  return v === '' ? undefined : v;
}
