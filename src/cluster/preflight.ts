/**
 * Preflight: before anything changes, judge the Config against what the cluster offers
 * (preflight-facts.ts reads it, every read allowed to fail on its own) with a table of checks, each
 * a pure function of (facts, config) giving ok / warn / fail, a message and a hint. What the config
 * needs is in preflight-needs.ts, the CNI table in cni.ts; helm/kubectl presence is checked by helm.ts.
 */
import type { Config } from '../config/schema.js';
import { EXPOSURE } from '../config/exposure.js';
import { formatCpu, formatMemory, sizeRelease } from '../config/sizing.js';
import { detectCni } from './cni.js';
import type { Kube } from './kube.js';
import { ENFORCE_LABEL, enforcedLevel, podSecurityRefusals, tailscaleProxyRefusals, type PodSecurityRefusal } from './pod-security.js';
import { gatherPreflightFacts, schedulable, type NodeFact, type PreflightFacts } from './preflight-facts.js';
import { autoscalerCheck, monitoringCheck } from './preflight-monitoring.js';
import { jvbBridgesWanted, permissionText, volumes } from './preflight-needs.js';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface PreflightCheck {
  /** a check of the table below, or `leftovers`: what a killed run left (./leftovers.ts) */
  name: CheckName | 'leftovers';
  title: string;
  verdict: Verdict;
  message: string;
  hint?: string;
}

export interface PreflightResult {
  context: string;
  server: string;
  checks: PreflightCheck[];
  /** no check failed */
  ok: boolean;
  /** the CNI is known to enforce NetworkPolicies (security.networkPolicies: auto turns them on) */
  networkPoliciesEnforced: boolean;
}

export interface PreflightOptions {
  /** --yes: a context other than the config's is a warning, not a failure */
  yes?: boolean;
  /** under the lease of a scale or sweep step that recovered already: its own drain and new bridge count are the change, not leftovers */
  underLease?: boolean;
}

/** "containerd://1.7.22" → "containerd 1.7.22" */
const runtimeName = (r: string | undefined) => (r ? r.replace('://', ' ') : 'unknown');

// ---------- checks ----------

interface Ctx {
  facts: PreflightFacts;
  config: Config;
  opts: PreflightOptions;
}
type Outcome = Omit<PreflightCheck, 'name' | 'title'>;
interface CheckSpec {
  title: string;
  /** false: the check does not concern this config and is left out */
  applies?: (config: Config) => boolean;
  run: (ctx: Ctx) => Outcome;
}

const couldNotRead = (what: string, e: { message: string; hint?: string } | undefined): Outcome => ({
  verdict: 'warn',
  message: `could not read ${what}: ${e?.message ?? 'unknown error'}`,
  hint: e?.hint,
});

/** Provisioners that only offer ReadWriteOnce volumes. */
const RWO_ONLY = /local-path|rancher\.io\/local-path|kubernetes\.io\/no-provisioner|ebs\.csi\.aws\.com|kubernetes\.io\/aws-ebs|pd\.csi\.storage\.gke\.io|kubernetes\.io\/gce-pd|disk\.csi\.azure\.com|kubernetes\.io\/azure-disk|topolvm|openebs\.io\/local|hostpath/i;

/** First-fit decreasing of every pod onto the real nodes (the best a scheduler could do). */
function packsOnto(pods: { cpuMilli: number; memoryMiB: number }[], nodes: NodeFact[]): boolean {
  const free = nodes.map((n) => ({ cpu: n.cpuMilli, mem: n.memoryMiB })).sort((a, b) => b.cpu - a.cpu);
  for (const p of [...pods].sort((a, b) => b.cpuMilli - a.cpuMilli || b.memoryMiB - a.memoryMiB)) {
    const n = free.find((f) => f.cpu >= p.cpuMilli && f.mem >= p.memoryMiB);
    if (!n) return false;
    n.cpu -= p.cpuMilli;
    n.mem -= p.memoryMiB;
  }
  return true;
}

export const CHECKS = {
  api: {
    title: 'cluster reachable',
    run: ({ facts }) =>
      facts.unreachable
        ? { verdict: 'fail', message: facts.unreachable.message, hint: facts.unreachable.hint ?? 'cluster unreachable — check --context / KUBECONFIG' }
        : { verdict: 'ok', message: `Kubernetes ${facts.version ?? '?'} at ${facts.server} (context ${facts.context})` },
  },
  context: {
    title: 'kube context',
    run: ({ facts, config, opts }) => {
      const wanted = config.cluster.context;
      if (!wanted) return { verdict: 'ok', message: `using context "${facts.context}" (the config names none)`, hint: undefined };
      if (wanted === facts.context) return { verdict: 'ok', message: `context "${facts.context}" as in the config` };
      return {
        verdict: opts.yes ? 'warn' : 'fail',
        message: `the config is for context "${wanted}", but this run uses "${facts.context}"`,
        hint: opts.yes ? undefined : `drop --context to use "${wanted}", fix cluster.context in jitsi-k8s.yaml, or pass --yes if "${facts.context}" is really meant`,
      };
    },
  },
  permissions: {
    title: 'permissions',
    run: ({ facts, config }) => {
      if (!facts.permissions) return couldNotRead('what these credentials may do', facts.errors.permissions);
      const missing = facts.permissions.filter((p) => !p.allowed);
      if (missing.length === 0) return { verdict: 'ok', message: `the credentials may do all ${facts.permissions.length} things apply, status and verify need` };
      return {
        verdict: 'fail',
        message: `these credentials may not: ${missing.map((p) => `${permissionText(p)} (${p.why})`).join('; ')}`,
        hint: `grant them (a Role in ${config.cluster.namespace}, a ClusterRole for the cluster-wide ones; \`kubectl auth can-i <verb> <resource> -n ${config.cluster.namespace}\` shows each), or use a kubeconfig that has them`,
      };
    },
  },
  namespace: {
    title: 'namespace',
    run: ({ facts, config }) => {
      const ns = config.cluster.namespace;
      if (facts.errors.namespace) return couldNotRead(`namespace ${ns}`, facts.errors.namespace);
      return facts.namespaceExists ? { verdict: 'ok', message: `namespace ${ns} exists` } : { verdict: 'ok', message: `namespace ${ns} does not exist yet; it will be created` };
    },
  },
  podSecurity: {
    title: 'Pod Security',
    run: ({ facts, config }) => {
      const ns = config.cluster.namespace;
      if (facts.errors.namespaceLabels) return couldNotRead(`the labels of namespace ${ns}`, facts.errors.namespaceLabels);
      const tsLevel = facts.tailscaleNamespaceLabels ? enforcedLevel(facts.tailscaleNamespaceLabels) : 'privileged';
      const tailscale = tailscaleProxyRefusals('tailscale', tsLevel);
      if (!facts.namespaceLabels && tailscale.length === 0) return { verdict: 'ok', message: `namespace ${ns} will be created without a Pod Security label (privileged unless the cluster sets a default)` };
      const level = enforcedLevel(facts.namespaceLabels);
      const own = podSecurityRefusals(config, level);
      if (own.length === 0 && tailscale.length === 0) {
        return { verdict: 'ok', message: `namespace ${ns} enforces "${level}"${level === 'privileged' ? '' : ': every pod of this config is admitted'}` };
      }
      const refusing = (where: string, lvl: string, r: PodSecurityRefusal[]) =>
        r.length ? [`namespace ${where} enforces "${lvl}" (${ENFORCE_LABEL}) and would refuse: ${r.map((x) => `${x.component} (${x.why})`).join('; ')}`] : [];
      return {
        verdict: 'fail',
        message: [...refusing(ns, level, own), ...refusing('tailscale', tsLevel, tailscale)].join('; '),
        hint: [...own, ...tailscale].map((r) => r.fix).join('; '),
      };
    },
  },
  storage: {
    title: 'storage class',
    applies: (config) => volumes(config).length > 0,
    run: ({ facts, config }) => {
      if (!facts.storageClasses) return couldNotRead('storage classes', facts.errors.storageClasses);
      const classes = facts.storageClasses;
      const known = classes.map((c) => `${c.name}${c.isDefault ? ' (default)' : ''}`).join(', ') || 'none';
      const problems: string[] = [];
      const warnings: string[] = [];
      for (const v of volumes(config)) {
        const sc = v.storageClass ? classes.find((c) => c.name === v.storageClass) : classes.find((c) => c.isDefault);
        if (!sc) {
          problems.push(v.storageClass ? `${v.component}: storage class "${v.storageClass}" does not exist` : `${v.component}: no storage class named and the cluster has no default class`);
          continue;
        }
        if (v.accessMode === 'ReadWriteMany' && (v.pods > 1 || v.component === 'transcriber')) {
          warnings.push(
            RWO_ONLY.test(sc.provisioner)
              ? `${v.component}: ${v.pods > 1 ? `${v.pods} pods share` : 'the chart mounts'} a ReadWriteMany volume, but "${sc.name}" (${sc.provisioner}) only offers ReadWriteOnce`
              : `${v.component}: needs ReadWriteMany from "${sc.name}" (${sc.provisioner}) — make sure it supports it`,
          );
        }
      }
      if (problems.length) return { verdict: 'fail', message: `${problems.join('; ')} (available: ${known})`, hint: 'name an existing class in components.<name>.storage.storageClass, or mark one as default' };
      if (warnings.length) return { verdict: 'warn', message: warnings.join('; '), hint: 'use an RWX-capable class (NFS, CephFS, Longhorn RWX, EFS, Azure Files) or give each jibri its own volume (accessMode: ReadWriteOnce, one replica)' };
      return { verdict: 'ok', message: `volumes will use ${[...new Set(volumes(config).map((v) => v.storageClass ?? `${classes.find((c) => c.isDefault)?.name} (default)`))].join(', ')}` };
    },
  },
  resources: {
    title: 'resources fit the nodes',
    run: ({ facts, config }) => {
      if (!facts.nodes) return couldNotRead('nodes', facts.errors.nodes);
      const nodes = facts.nodes.filter(schedulable);
      if (nodes.length === 0) return { verdict: 'fail', message: `none of the ${facts.nodes.length} nodes is schedulable (not ready, cordoned or tainted)`, hint: 'uncordon a node (`kubectl uncordon`) or remove its NoSchedule taint' };
      const sizing = sizeRelease(config);
      const pods = sizing.components.flatMap((c) => Array.from({ length: c.replicas }, () => ({ component: c.component, cpuMilli: c.cpuMilli, memoryMiB: c.memoryMiB })));
      const capCpu = nodes.reduce((s, n) => s + n.cpuMilli, 0);
      const capMem = nodes.reduce((s, n) => s + n.memoryMiB, 0);
      const biggest = { cpu: Math.max(...nodes.map((n) => n.cpuMilli)), mem: Math.max(...nodes.map((n) => n.memoryMiB)) };
      const tooBig = sizing.components.filter((c) => c.replicas > 0 && (c.cpuMilli > biggest.cpu || c.memoryMiB > biggest.mem));
      const summary = `requests ${formatCpu(sizing.totalCpuMilli)} CPU / ${formatMemory(Math.round(sizing.totalMemoryMiB))} of ${formatCpu(capCpu)} / ${formatMemory(Math.round(capMem))} allocatable on ${nodes.length} schedulable node${nodes.length === 1 ? '' : 's'}`;
      const hint = 'lower the resources in jitsi-k8s.yaml (components.<name>.resources, or nodes.cpu / nodes.memoryGiB), fewer replicas, or add nodes';
      if (tooBig.length) {
        return {
          verdict: 'fail',
          message: `${tooBig.map((c) => `one ${c.component} pod requests ${formatCpu(c.cpuMilli)} CPU / ${formatMemory(Math.round(c.memoryMiB))}`).join('; ')}, more than the largest node offers (${formatCpu(biggest.cpu)} / ${formatMemory(Math.round(biggest.mem))})`,
          hint,
        };
      }
      if (sizing.totalCpuMilli > capCpu || sizing.totalMemoryMiB > capMem) return { verdict: 'fail', message: `more than the cluster has: ${summary}`, hint };
      if (!packsOnto(pods, nodes)) return { verdict: 'fail', message: `the pods fit in total but cannot be placed pod by pod: ${summary}`, hint };
      const share = Math.max(sizing.totalCpuMilli / capCpu, sizing.totalMemoryMiB / capMem);
      if (share > 0.8) return { verdict: 'warn', message: `${summary} — ${Math.round(share * 100)} % before other workloads`, hint: 'pods already running on the nodes also take their share; leave headroom' };
      return { verdict: 'ok', message: summary };
    },
  },
  hostPortNodes: {
    title: 'nodes for hostPort bridges',
    applies: (config) => !EXPOSURE[config.exposure.mode].behindService,
    run: ({ facts, config }) => {
      if (!facts.nodes) return couldNotRead('nodes', facts.errors.nodes);
      const ok = facts.nodes.filter(schedulable);
      const wanted = jvbBridgesWanted(config);
      const left = facts.nodes.filter((n) => !schedulable(n)).map((n) => `${n.name} (${!n.ready ? 'not ready' : n.cordoned ? 'cordoned' : n.blockingTaints.join(', ')})`);
      const message = `${ok.length} schedulable node${ok.length === 1 ? '' : 's'} for ${wanted} bridge${wanted === 1 ? '' : 's'} (one per node with hostPort ${config.exposure.udpPort}/udp)${left.length ? `; not usable: ${left.join(', ')}` : ''}`;
      if (ok.length >= wanted) return { verdict: 'ok', message };
      const replicas = config.components.jvb.replicas;
      if (ok.length >= replicas) return { verdict: 'warn', message: `${message}: the autoscaler can reach only ${ok.length} of max ${wanted}`, hint: 'lower components.jvb.autoscale.max or add nodes' };
      const pending = replicas - ok.length;
      return { verdict: 'fail', message: `${message}: ${pending} of ${replicas} bridge${replicas === 1 ? '' : 's'} would stay Pending`, hint: 'add or uncordon nodes, or lower components.jvb.replicas' };
    },
  },
  metricsServer: {
    title: 'metrics API (metrics-server)',
    applies: (config) => config.components.jvb.autoscale.enabled && config.components.jvb.autoscale.metric === 'cpu',
    run: ({ facts }) => {
      if (!facts.apiGroups) return couldNotRead('the API groups', facts.errors.apiGroups);
      return facts.apiGroups.includes('metrics.k8s.io')
        ? { verdict: 'ok', message: 'metrics.k8s.io is served: the JVB autoscaler can read CPU' }
        : { verdict: 'fail', message: 'metrics.k8s.io is not served: the JVB autoscaler would never scale', hint: 'install metrics-server (https://github.com/kubernetes-sigs/metrics-server), or turn autoscaling off' };
    },
  },
  autoscaler: {
    title: 'bridge autoscaler',
    applies: (config) => config.components.jvb.autoscale.enabled,
    run: ({ facts, config }) => autoscalerCheck(facts, config),
  },
  monitoring: {
    title: 'monitoring (Prometheus operator)',
    run: ({ facts, config }) => monitoringCheck(facts, config),
  },
  cni: {
    title: 'network plugin (CNI)',
    run: ({ facts }) => {
      if (!facts.systemPods) return couldNotRead('kube-system pods', facts.errors.systemPods);
      const cni = detectCni(facts.systemPods, facts.nodes);
      if (!cni) return { verdict: 'warn', message: 'could not recognise the CNI from the kube-system pods; NetworkPolicies may not be enforced', hint: 'nothing to do unless you rely on NetworkPolicies' };
      const policy = cni.networkPolicy === 'depends' ? `NetworkPolicies are enforced ${cni.note ?? 'depending on its setup'}` : `NetworkPolicies are ${cni.networkPolicy}${cni.note ? ` ${cni.note}` : ''}`;
      return cni.networkPolicy === 'not enforced'
        ? { verdict: 'warn', message: `${cni.title}: ${policy}`, hint: 'Jitsi works, but any NetworkPolicy in the namespace is ignored; add Calico/Canal for policy enforcement' }
        : { verdict: 'ok', message: `${cni.title}: ${policy}` };
    },
  },
  runtime: {
    title: 'container runtime',
    run: ({ facts }) => {
      if (!facts.nodes) return couldNotRead('nodes', facts.errors.nodes);
      const byRuntime = new Map<string, string[]>();
      for (const n of facts.nodes) byRuntime.set(runtimeName(n.runtime), [...(byRuntime.get(runtimeName(n.runtime)) ?? []), n.name]);
      const message = [...byRuntime].map(([r, ns]) => `${r} (${ns.length === 1 ? ns[0] : `${ns.length} nodes`})`).join(', ') || 'no nodes';
      const docker = [...byRuntime.keys()].some((r) => r.startsWith('docker'));
      return docker
        ? { verdict: 'warn', message, hint: 'Docker Engine needs cri-dockerd since Kubernetes 1.24; containerd or CRI-O are the usual runtimes' }
        : { verdict: 'ok', message };
    },
  },
  tailscale: {
    title: 'Tailscale operator',
    applies: (config) => config.exposure.mode === 'tailscale',
    run: ({ facts, config }) => {
      if (!facts.apiGroups) return couldNotRead('the API groups', facts.errors.apiGroups);
      if (facts.apiGroups.includes('tailscale.com')) return { verdict: 'ok', message: 'the tailscale.com API (operator CRDs) is installed' };
      return config.exposure.tailscale?.installOperator !== false
        ? { verdict: 'ok', message: 'the Tailscale operator is not installed yet; apply installs it' }
        : { verdict: 'fail', message: 'the Tailscale operator is not installed (no tailscale.com API) and exposure.tailscale.installOperator is false', hint: 'install the operator (https://tailscale.com/kb/1236/kubernetes-operator) or set exposure.tailscale.installOperator: true' };
    },
  },
  certManager: {
    title: 'cert-manager',
    applies: (config) => config.tls.mode === 'letsencrypt',
    run: ({ facts }) => {
      if (!facts.apiGroups) return couldNotRead('the API groups', facts.errors.apiGroups);
      return facts.apiGroups.includes('cert-manager.io')
        ? { verdict: 'ok', message: 'cert-manager.io is installed: Let’s Encrypt certificates can be issued' }
        : { verdict: 'fail', message: 'tls.mode is letsencrypt, but cert-manager is not installed (no cert-manager.io API)', hint: 'install cert-manager (https://cert-manager.io/docs/installation/helm/), or use tls.mode: secret / none' };
    },
  },
} satisfies Record<string, CheckSpec>;

export type CheckName = keyof typeof CHECKS;

/** Judges the facts; pure. When the API server does not answer, only that check is reported. */
export function evaluatePreflight(facts: PreflightFacts, config: Config, opts: PreflightOptions = {}): PreflightResult {
  const ctx: Ctx = { facts, config, opts };
  const names = facts.unreachable ? (['api', 'context'] as CheckName[]) : (Object.keys(CHECKS) as CheckName[]);
  const checks = names
    .filter((name) => (CHECKS[name] as CheckSpec).applies?.(config) ?? true)
    .map((name): PreflightCheck => {
      const spec: CheckSpec = CHECKS[name];
      const o = spec.run(ctx);
      return { name, title: spec.title, verdict: o.verdict, message: o.message, ...(o.hint ? { hint: o.hint } : {}) };
    });
  const networkPoliciesEnforced = !facts.unreachable && !!facts.systemPods && detectCni(facts.systemPods, facts.nodes)?.networkPolicy === 'enforced';
  return { context: facts.context, server: facts.server, checks, ok: checks.every((c) => c.verdict !== 'fail'), networkPoliciesEnforced };
}

export async function runPreflight(kube: Kube, config: Config, opts: PreflightOptions = {}): Promise<PreflightResult> {
  const { describeLeftovers, detectLeftovers, leftoverTarget } = await import('./leftovers.js');
  const [facts, leftovers] = await Promise.all([gatherPreflightFacts(kube, config), opts.underLease ? undefined : detectLeftovers(kube, leftoverTarget(config)).catch(() => undefined)]);
  const result = evaluatePreflight(facts, config, opts);
  const found = leftovers && !facts.unreachable ? describeLeftovers(leftovers, { configFile: 'the config' }) : [];
  // a warning, not a failure: the run itself puts these right before it changes anything
  if (found.length > 0) {
    result.checks.push({
      name: 'leftovers',
      title: 'left by a killed run',
      verdict: 'warn',
      message: found.map((l) => `${l.what} → ${l.action}`).join('; '),
      hint: 'this run puts them right first (pass --recover to roll back a pending release it would otherwise wait for)',
    });
  }
  return result;
}
