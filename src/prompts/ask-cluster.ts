/** Questions about where Jitsi goes: kube context, namespace, release, domain, node size. */
import type { ClusterFacts, KubeContexts } from '../cluster/facts.js';
import type { Prompter } from './prompter.js';

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// same rule as the schema's domain field, checked inline while typing
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function validateDomain(value: string): true | string {
  const v = value.trim();
  if (v === '') return 'the site needs a host name, e.g. meet.example.com';
  if (/^[a-z]+:\/\//i.test(v)) return 'just the host name: no https://';
  if (v.includes(':') || v.includes('/')) return 'just the host name: no port, no path';
  if (v !== v.toLowerCase()) return 'use lowercase letters';
  if (!DNS_NAME.test(v)) return 'not a DNS name (letters, digits, - and dots; e.g. meet.example.com)';
  return true;
}

export function validateK8sName(max: number): (value: string) => true | string {
  return (value) => {
    if (!K8S_NAME.test(value)) return 'lowercase letters, digits and -, starting and ending with a letter or digit';
    if (value.length > max) return `at most ${max} characters`;
    return true;
  };
}

export async function askContext(p: Prompter, current: string | undefined, kube: KubeContexts): Promise<string> {
  p.note(`Kube context: the cluster Jitsi is installed into${kube.current ? ` (current: ${kube.current})` : ''}.`);
  return p.select({
    name: 'context',
    message: 'Kube context',
    choices: kube.contexts.map((c) => ({ value: c, name: c === kube.current ? `${c} (current)` : c })),
    default: current && kube.contexts.includes(current) ? current : kube.current,
  });
}

export async function askNamespace(p: Prompter, current: string): Promise<string> {
  p.note('Namespace: everything jitsi-k8s installs goes into it (created when missing).');
  return p.input({ name: 'namespace', message: 'Namespace', default: current, validate: validateK8sName(63) });
}

export async function askRelease(p: Prompter, current: string): Promise<string> {
  p.note('Helm release name: prefixes every object (jitsi-web, jitsi-jvb…).');
  return p.input({ name: 'release', message: 'Release name', default: current, validate: validateK8sName(53) });
}

export async function askDomain(p: Prompter, current: string | undefined): Promise<string> {
  p.note('Domain: the site will be https://<domain>; point its DNS at the cluster’s web entry.');
  return (await p.input({ name: 'domain', message: 'Domain', default: current, validate: validateDomain })).toLowerCase();
}

function sizeNote(facts: ClusterFacts | undefined): string {
  if (!facts) return 'Node size: used to size the pods (cluster not read: enter your worker size).';
  const sizes = facts.nodes.sizes.map((s) => `${s.count}× ${s.cpu} CPU / ${s.memoryGiB} GiB`).join(', ');
  return `Node size: used to size the pods. The cluster has ${facts.nodes.schedulable} schedulable node(s)${sizes ? `: ${sizes}` : ''}.`;
}

export async function askNodeCpu(p: Prompter, current: number, facts: ClusterFacts | undefined): Promise<number> {
  p.note(sizeNote(facts));
  return p.number({ name: 'nodeCpu', message: 'CPU cores per node (its size)', default: current, min: 0.1, integer: false });
}

export async function askNodeMemory(p: Prompter, current: number): Promise<number> {
  return p.number({ name: 'nodeMemory', message: 'Memory per node in GiB (its size)', default: current, min: 0.1, integer: false });
}

export async function askNodeCount(p: Prompter, current: number): Promise<number> {
  return p.number({ name: 'nodes', message: 'Nodes Jitsi may use', default: current, min: 1 });
}
