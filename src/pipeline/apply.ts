/**
 * The one driver of Config → Release → Plan → run: render the release (pure), plan it, and either
 * return the plan (`--dry-run`) or preflight and run it against the cluster (src/cluster/), then
 * keep what was learnt there in jitsi-k8s.yaml. `apply`, `init`, `scale`, `uninstall` and a bench
 * sweep all come through here; progress and warnings go to the caller's callbacks.
 */
import { saveConfig } from '../config/file.js';
import type { Config, Secrets } from '../config/schema.js';
import { CommandError, UsageError } from '../errors.js';
import { interruptSignal } from '../interrupt.js';
import { dependencyRefs, renderRelease, type Release, type RenderFacts } from '../render/index.js';
import { defaultClusterActions, refuseToDropClaims, runPlan, type ClusterActions, type Learnt, type StepOutcome, type TaskRunner } from '../cluster/apply.js';
import { detectHelm, helmBinary, kubectlBinary, type ToolInfo } from '../cluster/helm.js';
import { formatPlan, mainReleaseStep, planApply, planUninstall, type PlanOptions, type Step } from '../cluster/plan.js';
import type { PreflightResult } from '../cluster/preflight.js';
import { drainLeaving, type DrainInput, type Drained } from './drain.js';
import type { Recovered } from './recover.js';

/** Where the pipeline tells what it does (it prints nothing itself). */
export interface PipelineReport {
  warn(message: string): void;
  info(message: string): void;
  /** the preflight checks, before anything changes */
  preflight(result: PreflightResult): void;
}

const SILENT: PipelineReport = { warn: () => undefined, info: () => undefined, preflight: () => undefined };

export interface ApplyInput {
  configPath: string;
  config: Config;
  secrets: Secrets;
  /** no confirmation questions (the caller asked already, or --yes) */
  yes: boolean;
  dryRun: boolean;
  /** helm --timeout for the main release */
  timeout?: string;
  actions?: ClusterActions;
  /** skip preflight (tests of the runner alone) */
  skipPreflight?: boolean;
  /** default: nowhere */
  report?: PipelineReport;
  /** the progress display the plan runs under; default: none */
  runTasks?: TaskRunner;
  /** stops the work (default: the process's stop signal); a bench sweep's restore passes its own, which outlives Ctrl-C/SIGTERM */
  signal?: AbortSignal;
  /** asked when the upgrade restarts or removes bridges with participants on them (without it and without yes: refused) */
  confirm?: (message: string) => Promise<boolean>;
  /** the caller dealt with the bridges that go (drained, or told yes about): the impact asks about restarts only */
  removalConfirmed?: boolean;
  /** --recover: roll back a pending release left by a killed run now, whatever its age (./recover.ts) */
  recover?: boolean;
  /** the caller holds the release's lease and recovered already (scale, a bench sweep): no lock, no recovery, no bridge-count question here */
  underLease?: boolean;
  /** what this run is, shown to a second run that finds the release locked */
  command?: string;
}

export interface ApplyResult {
  release: string;
  namespace: string;
  plan: Step[];
  /** --dry-run: the plan as text (secrets redacted) */
  planText?: string;
  outcomes: StepOutcome[];
  notes: string[];
  /** the first address learnt from the load balancer (exposure.publicIP) */
  advertised?: string;
  /** every address learnt: publicIP, then extraPublicIPs */
  advertisedIPs?: string[];
  /** a "no" to restarting bridges with participants on them (or to dropping them at the drain deadline): nothing was changed */
  cancelled?: boolean;
  /** uninstall: the bridges were drained first */
  drain?: { pods: string[]; drainedMs: number; left: number };
}

/** The config with learnt load-balancer addresses: the first is exposure.publicIP, the others exposure.extraPublicIPs. */
export function withAdvertised(config: Config, addresses: string[]): Config {
  const [first, ...more] = addresses;
  if (!first) return config;
  const exposure = { ...config.exposure, publicIP: first, extraPublicIPs: more.length > 0 ? more : undefined };
  return { ...config, exposure };
}

/** What apply must read from the cluster and render again: the JVB Service's LB address, the web Ingress's tailnet name. */
function learnFrom(config: Config, release: Release): { advertiseFrom?: string; publicHostFrom?: string } {
  const mode = config.exposure.mode;
  return {
    advertiseFrom: !config.exposure.publicIP && (mode === 'loadBalancer' || mode === 'tailscale') ? `${release.fullname}-jvb` : undefined,
    publicHostFrom: mode === 'tailscale' && !config.exposure.tailscale?.fqdn ? `${release.fullname}-web` : undefined,
  };
}

/** The Config with what the cluster told us: the bridges' address, the tailnet name. */
function withLearnt(config: Config, l: Learnt): Config {
  const exposure = { ...withAdvertised(config, l.addresses ?? []).exposure };
  if (l.fqdn) exposure.tailscale = { installOperator: true, ...exposure.tailscale, fqdn: l.fqdn };
  return { ...config, exposure };
}

export async function applyInstall(input: ApplyInput): Promise<ApplyResult> {
  const report = input.report ?? SILENT;
  const signal = input.signal ?? interruptSignal();
  const config = input.config;
  // the notes' capacity: expect.profile now; without one, the ConfigMap `bench capacity save` made, once the cluster is reachable
  const { capacityFor } = await import('../cluster/capacity.js');
  let renderFacts: RenderFacts = { capacity: await capacityFor(config, input.configPath, { warn: (m) => report.warn(m) }) };
  let release = renderRelease(config, input.secrets, renderFacts);
  let helm: ToolInfo;
  try {
    helm = await detectHelm(helmBinary(), signal);
  } catch (e) {
    if (!input.dryRun) throw e;
    report.warn(`${(e as Error).message}; the plan below assumes helm 3 flags`);
    helm = { bin: helmBinary(), version: 'unknown', major: 3, minor: 8 };
  }
  const opts: PlanOptions = { helm, context: config.cluster.context, timeout: input.timeout ?? '15m', chart: process.env.JITSI_K8S_CHART || undefined };
  let plan = planApply(release, opts, learnFrom(config, release));
  if (input.dryRun) {
    return {
      release: release.release,
      namespace: release.namespace,
      plan,
      planText: formatPlan(plan, { helm: helm.bin, kubectl: kubectlBinary() }),
      outcomes: [],
      notes: release.notes,
    };
  }
  if (!input.skipPreflight) {
    const { runPreflight } = await import('../cluster/preflight.js');
    const { openKube } = await import('../cluster/kube.js');
    const kube = openKube({ context: config.cluster.context, namespace: config.cluster.namespace, signal });
    const result = await runPreflight(kube, config, { yes: input.yes, underLease: input.underLease });
    report.preflight(result);
    const failed = result.checks.filter((c) => c.verdict === 'fail');
    if (failed.length > 0) {
      // a namespace that forbids what the config asks for (Pod Security) is the config's to change: exit 2
      const Failure = failed.some((c) => c.name === 'podSecurity') ? UsageError : CommandError;
      throw new Failure(
        `preflight failed (${failed.length} check${failed.length > 1 ? 's' : ''}): ${failed.map((c) => c.name).join(', ')} — nothing was changed`,
        failed[0]?.hint,
      );
    }
    const before = renderFacts;
    if (config.security.networkPolicies === 'auto') {
      // auto: the policies go in when the CNI enforces them (preflight's CNI check read the cluster)
      renderFacts = { ...renderFacts, cniEnforcesPolicies: result.networkPoliciesEnforced };
      report.info(`security.networkPolicies auto: ${result.networkPoliciesEnforced ? 'on (the CNI enforces them)' : 'off (no CNI known to enforce them)'}`);
    }
    if (!renderFacts.capacity) {
      const capacity = await capacityFor(config, input.configPath, { kube: () => kube, warn: (m) => report.warn(m) });
      if (capacity) renderFacts = { ...renderFacts, capacity };
    }
    if (renderFacts !== before) {
      release = renderRelease(config, input.secrets, renderFacts);
      plan = planApply(release, opts, learnFrom(config, release));
    }
  }
  // one run at a time on a release, and what a killed run left is put right first (./recover.ts)
  const held =
    input.skipPreflight || input.underLease
      ? undefined
      : await takeOver({ recover: input.recover, command: input.command ?? 'jitsi-k8s apply' }, config, helm, opts.timeout, (m) => report.warn(m), signal);
  try {
    return await applyUnderLease(input, config, release, helm, opts, plan, report, signal, held, renderFacts);
  } finally {
    await held?.lease.release();
  }
}

/** Seconds of a helm duration such as 15m, 900s or 1h. */
const helmSeconds = (t: string) => Number(t.slice(0, -1)) * ({ s: 1, m: 60, h: 3600 }[t.slice(-1)] ?? 1);

/** Takes the release's lease and recovers what a killed run left (./recover.ts); the caller releases the lease. */
export async function takeOver(
  o: { recover?: boolean; command: string; createNamespace?: boolean },
  config: Config,
  helm: ToolInfo | (() => Promise<ToolInfo>),
  timeout: string,
  say: (m: string) => void,
  signal: AbortSignal,
): Promise<Recovered> {
  const { openKube } = await import('../cluster/kube.js');
  const { takeOverRelease } = await import('./recover.js');
  const kube = openKube({ context: config.cluster.context, namespace: config.cluster.namespace, signal });
  return takeOverRelease({
    kube,
    config,
    helm,
    recover: o.recover,
    timeoutSeconds: helmSeconds(timeout),
    command: o.command,
    createNamespace: o.createNamespace,
    say,
  });
}

async function applyUnderLease(
  input: ApplyInput,
  config: Config,
  release: Release,
  helm: ToolInfo,
  opts: PlanOptions,
  plan: Step[],
  report: PipelineReport,
  signal: AbortSignal,
  held: Recovered | undefined,
  renderFacts: RenderFacts,
): Promise<ApplyResult> {
  const count = held?.leftovers.bridgeCount;
  if (count) {
    // a sweep or scale cut short left another count than the file's: going back removes or adds bridges
    const question = `${count.running} bridges run, ${input.configPath} says ${count.config} (a sweep or scale was cut short). Go back to ${count.config}?`;
    if (!input.yes && input.confirm && !(await input.confirm(question))) {
      return { release: release.release, namespace: release.namespace, plan, outcomes: [], notes: release.notes, cancelled: true };
    }
    report.warn(`bridges: ${count.running} run, going back to the config's ${count.config}`);
  }
  if (!input.skipPreflight) {
    // impact before action: which bridges the upgrade restarts or removes, and who is on them
    const { openKube } = await import('../cluster/kube.js');
    const { confirmImpact, readBridgeImpact } = await import('./impact.js');
    const kube = openKube({ context: config.cluster.context, namespace: config.cluster.namespace, signal });
    const impact = await readBridgeImpact(kube, helm, mainReleaseStep(release, opts), config, signal);
    if (
      impact &&
      !(await confirmImpact(config, impact, {
        yes: input.yes,
        removalConfirmed: input.removalConfirmed,
        say: (m, live) => (live ? report.warn(m) : report.info(m)),
        confirm: input.confirm,
      }))
    ) {
      return { release: release.release, namespace: release.namespace, plan, outcomes: [], notes: release.notes, cancelled: true };
    }
  }
  const actions = input.actions ?? (await defaultClusterActions(config, { signal }));
  let learnt: Learnt = {};
  const outcomes = await runPlan(
    plan,
    {
      helm,
      kubectl: kubectlBinary(),
      actions,
      signal,
      onAddress: (l) => {
        learnt = l;
        config = withLearnt(config, l);
        release = renderRelease(config, input.secrets, renderFacts);
        return mainReleaseStep(release, opts);
      },
    },
    release.namespace,
    input.runTasks,
  );
  if (learnt.addresses || learnt.fqdn) {
    // keep what was learnt in the config, so the next apply renders the same values
    saveConfig(input.configPath, config);
    if (config.exposure.publicIP && learnt.addresses) {
      const extra = config.exposure.extraPublicIPs ? ` and exposure.extraPublicIPs: ${config.exposure.extraPublicIPs.join(', ')}` : '';
      report.info(`saved exposure.publicIP: ${config.exposure.publicIP}${extra} in ${input.configPath}`);
    }
    if (learnt.fqdn) report.info(`saved exposure.tailscale.fqdn: ${learnt.fqdn} in ${input.configPath} (public URL https://${learnt.fqdn})`);
  }
  return {
    release: release.release,
    namespace: release.namespace,
    plan,
    outcomes,
    notes: release.notes,
    advertised: learnt.addresses?.[0],
    advertisedIPs: learnt.addresses,
  };
}

export interface UninstallInput {
  config: Config;
  deleteData: boolean;
  dryRun: boolean;
  runTasks?: TaskRunner;
  /** drain the bridges before the release goes (absent: they go at once, their preStop graceful shutdown still runs) */
  drain?: Omit<DrainInput, 'kube' | 'config' | 'bridges' | 'signal'>;
  /** --recover (./recover.ts) */
  recover?: boolean;
  /** where what a killed run left is told */
  say?: (message: string) => void;
}

export async function uninstallRelease(input: UninstallInput): Promise<ApplyResult> {
  const c = input.config;
  const plan = planUninstall(
    { release: c.cluster.release, namespace: c.cluster.namespace },
    { context: c.cluster.context, deleteData: input.deleteData, dependencies: dependencyRefs(c) },
  );
  const helmBin = helmBinary();
  if (input.dryRun) {
    return {
      release: c.cluster.release,
      namespace: c.cluster.namespace,
      plan,
      planText: formatPlan(plan, { helm: helmBin, kubectl: kubectlBinary() }),
      outcomes: [],
      notes: [],
    };
  }
  const helm = await detectHelm(helmBin);
  const held = await takeOver(
    { recover: input.recover, command: `jitsi-k8s uninstall${input.deleteData ? ' --delete-data' : ''}`, createNamespace: false },
    c,
    helm,
    '10m',
    input.say ?? (() => undefined),
    interruptSignal(),
  );
  try {
    return await uninstallUnderLease(input, plan, helm);
  } finally {
    await held.lease.release();
  }
}

async function uninstallUnderLease(input: UninstallInput, plan: Step[], helm: ToolInfo): Promise<ApplyResult> {
  const c = input.config;
  if (!input.deleteData) await refuseToDropClaims(helm, c, interruptSignal());
  let drained: Drained | undefined;
  if (input.drain) {
    // every bridge goes: each drains first, then the release is removed
    const { openKube } = await import('../cluster/kube.js');
    const { readBridgeLoad } = await import('../cluster/scale.js');
    const signal = interruptSignal();
    const kube = openKube({ context: c.cluster.context, namespace: c.cluster.namespace, signal });
    const bridges = await readBridgeLoad(kube, c, 0, signal);
    if (bridges.length > 0) {
      const d = await drainLeaving({ ...input.drain, kube, config: c, bridges, signal });
      if (d === 'cancelled') return { release: c.cluster.release, namespace: c.cluster.namespace, plan, outcomes: [], notes: [], cancelled: true };
      drained = d;
    }
  }
  const outcomes = await runPlan(
    plan,
    {
      helm,
      kubectl: kubectlBinary(),
      signal: interruptSignal(),
      actions: {
        serviceAddresses: () => Promise.reject(new CommandError('internal: no address lookup during uninstall')),
        ingressHostname: () => Promise.reject(new CommandError('internal: no address lookup during uninstall')),
        waitForBridges: () => Promise.resolve(),
      },
    },
    c.cluster.namespace,
    input.runTasks,
  ).catch(async (e: unknown) => {
    await drained?.undo();
    throw e;
  });
  return {
    release: c.cluster.release,
    namespace: c.cluster.namespace,
    plan,
    outcomes,
    ...(drained ? { drain: { pods: drained.pods, drainedMs: drained.drainedMs, left: drained.left } } : {}),
    notes: input.deleteData ? [] : ['the PersistentVolumeClaims were kept: recordings, transcripts, prosody data (--delete-data removes them)'],
  };
}
