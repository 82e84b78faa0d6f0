/**
 * Running a plan against a cluster: each step through the exec helper (helm, kubectl) or the
 * cluster actions, in order, under the caller's progress display (a TaskRunner callback: the
 * commands pass listr2's), returning every release this run changed to where it was on failure.
 * The Config → Release → Plan → run pipeline itself is driven by src/pipeline/.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { Config } from '../config/schema.js';
import { CommandError, InterruptedError } from '../errors.js';
import { setStopGrace } from '../interrupt.js';
import { run } from './exec.js';
import { contextFlags, type ToolInfo } from './helm.js';
import { loadBalancerAddresses, systemResolve, type LoadBalancerIngress, type Resolve } from './addresses.js';
import { CHART_DIR, KEEP_POLICY, type Step } from './plan.js';
import { preparePostRenderer } from './post-renderer.js';

/** How long a helm rollback may take (ours, and helm's own --atomic one after it is stopped by a signal). */
const ROLLBACK_TIMEOUT_MS = 11 * 60_000;

/**
 * helm cannot roll back to a revision holding an object that still exists but is missing from the current
 * manifest (helm 4 / helm 3 wording): the recording claims an older install owned, which this apply moved
 * to the data release and kept (helm issues 8228, 13142).
 */
const KEPT_OBJECT_MISSING = /original object \S+ with the name "[^"]+" not found|no \S+ with the name "[^"]+" found/;

/** Side effects the plan's jitsi-k8s steps need; the defaults talk to the cluster through client-node. */
export interface ClusterActions {
  /** the external IPs of a Service once its load balancer has one (a host name is resolved to all its addresses) */
  serviceAddresses(namespace: string, service: string, signal: AbortSignal): Promise<string[]>;
  /** the host name an Ingress controller wrote into the Ingress status (the Tailscale operator: <hostname>.<tailnet>.ts.net) */
  ingressHostname(namespace: string, ingress: string, signal: AbortSignal): Promise<string>;
  /** resolves once n bridges are Ready and answer /colibri/stats */
  waitForBridges(namespace: string, release: string, bridges: number, signal: AbortSignal, progress: (text: string) => void): Promise<void>;
}

/** What the advertise step read from the cluster. */
export interface Learnt {
  /** the JVB Service's load-balancer IPs */
  addresses?: string[];
  /** the web Ingress's tailnet name */
  fqdn?: string;
}

export interface StepContext {
  helm: ToolInfo;
  kubectl: string;
  actions: ClusterActions;
  signal: AbortSignal;
  /** called when the advertise step learnt addresses: re-render and return the new main step */
  onAddress?: (learnt: Learnt) => Step;
}

export interface StepOutcome {
  id: string;
  status: 'done' | 'unchanged' | 'skipped' | 'rolled-back';
  detail?: string;
  /** a release this step installed or upgraded: what to return to if a later step fails */
  changed?: {
    release: string;
    namespace: string;
    /** the revision to roll back to */
    previousRevision?: number;
    /** the release's state before this run (undefined: it did not exist) — an existing release is never uninstalled */
    previousStatus?: string;
    context: string[];
  };
}

/** Installed release: values, chart, state, and the last revision that was deployed; undefined when the release does not exist. */
async function installedRelease(helm: ToolInfo, release: string, namespace: string, context: string[], signal: AbortSignal) {
  let history: { revision: number; status: string; chart: string }[];
  try {
    // history, unlike `helm list`, shows failed and pending-* releases too
    const out = await run(helm.bin, ['history', release, '--namespace', namespace, '--output', 'json', ...context], { signal, timeoutMs: 60_000 });
    history = JSON.parse(out.stdout || '[]') as typeof history;
  } catch (e) {
    if (e instanceof CommandError && /not found/i.test(e.message)) return undefined;
    throw e;
  }
  const current = history.at(-1);
  if (!current) return undefined;
  const values = await run(helm.bin, ['get', 'values', release, '--namespace', namespace, '--output', 'json', ...context], { signal, timeoutMs: 60_000 });
  // a superseded revision was deployed once: the newest such is where a failed release can return to
  const lastDeployed = history.filter((h) => h.status === 'deployed' || h.status === 'superseded').at(-1);
  return {
    values: JSON.parse(values.stdout || 'null') as unknown,
    chart: current.chart,
    status: current.status,
    revision: Number(current.revision),
    lastDeployedRevision: lastDeployed ? Number(lastDeployed.revision) : undefined,
  };
}

function contextArgs(step: Step): string[] {
  const i = step.args.indexOf('--kube-context');
  return i >= 0 ? step.args.slice(i, i + 2) : [];
}

/** Runs one step for real. Returns what happened; throws CommandError on failure. */
export async function runStep(step: Step, ctx: StepContext, progress: (line: string) => void): Promise<StepOutcome> {
  if (step.tool === 'jitsi-k8s') throw new CommandError(`internal: step ${step.id} is not runnable on its own`);
  const bin = step.tool === 'helm' ? ctx.helm.bin : ctx.kubectl;
  let changed: StepOutcome['changed'];
  if (step.unchangedCheck) {
    const u = step.unchangedCheck;
    const current = await installedRelease(ctx.helm, u.release, u.namespace, contextArgs(step), ctx.signal);
    changed = {
      release: u.release,
      namespace: u.namespace,
      previousRevision: current?.lastDeployedRevision,
      previousStatus: current?.status,
      context: contextArgs(step),
    };
    const chartOk = !u.chartVersion || current?.chart?.endsWith(`-${u.chartVersion}`);
    if (current && current.status === 'deployed' && chartOk && isDeepStrictEqual(current.values, JSON.parse(JSON.stringify(u.values)))) {
      return { id: step.id, status: 'unchanged', detail: `${u.release}: values and chart unchanged` };
    }
  }
  let chartDir: string | undefined;
  const post = preparePostRenderer(step);
  try {
    let args = post.args;
    if (step.chartFiles) {
      chartDir = mkdtempSync(join(tmpdir(), 'jitsi-k8s-extras-'));
      for (const [rel, content] of Object.entries(step.chartFiles)) {
        mkdirSync(dirname(join(chartDir, rel)), { recursive: true });
        writeFileSync(join(chartDir, rel), content, { mode: 0o600 });
      }
      args = args.map((a) => (a === CHART_DIR ? chartDir! : a));
    }
    try {
      // a stopped helm upgrade rolls itself back (--atomic / --rollback-on-failure): give it that time
      await run(bin, args, {
        input: step.stdin,
        env: post.env,
        signal: ctx.signal,
        onLine: (l) => progress(l),
        killAfterMs: step.tool === 'helm' ? ROLLBACK_TIMEOUT_MS : undefined,
      });
    } catch (e) {
      if (step.okWhen && e instanceof CommandError && step.okWhen.test(e.message)) return { id: step.id, status: 'skipped', detail: 'nothing to remove' };
      throw e;
    }
    return { id: step.id, status: 'done', changed };
  } finally {
    if (chartDir) rmSync(chartDir, { recursive: true, force: true });
    post.remove();
  }
}

/** How a running task tells the progress display about itself. */
export interface TaskReport {
  /** the latest line of the step's output */
  output(line: string): void;
  /** the step's title once it is known how it went */
  retitle(title: string): void;
}

/** One step of a plan as the progress display runs it. */
export interface PlanTask {
  title: string;
  run(report: TaskReport): Promise<void>;
}

/** Runs the tasks one after another under a progress display, stopping at the first failure (commands pass ui/tasks' listr2 runner). */
export type TaskRunner = (tasks: PlanTask[]) => Promise<void>;

/** No display: the tasks in order (a bench sweep without a terminal of its own, tests). */
export const runInOrder: TaskRunner = async (tasks) => {
  for (const t of tasks) await t.run({ output: () => undefined, retitle: () => undefined });
};

/** Runs a plan; the advertise step re-runs the main release with the learnt address. */
export async function runPlan(steps: Step[], ctx: StepContext, namespace: string, runTasks: TaskRunner = runInOrder): Promise<StepOutcome[]> {
  // after SIGINT/SIGTERM/SIGHUP the process waits for the rollbacks before it exits (a second signal leaves at once)
  setStopGrace(2 * ROLLBACK_TIMEOUT_MS);
  const outcomes: StepOutcome[] = [];
  const tasks = steps.map(
    (step): PlanTask => ({
      title: step.title,
      run: async (report) => {
        const progress = (line: string) => report.output(line);
        if (step.action?.kind === 'advertise-address') {
          const { service, ingress } = step.action;
          const learnt: Learnt = {
            addresses: service ? await ctx.actions.serviceAddresses(namespace, service, ctx.signal) : undefined,
            fqdn: ingress ? await ctx.actions.ingressHostname(namespace, ingress, ctx.signal) : undefined,
          };
          if (!ctx.onAddress) throw new CommandError('internal: no re-render for the advertised address');
          const again = ctx.onAddress(learnt);
          const o = await runStep(again, ctx, progress);
          const detail = [learnt.addresses?.join(', '), learnt.fqdn && `https://${learnt.fqdn}`].filter(Boolean).join(', ');
          report.retitle(`${step.title}: ${detail}${o.status === 'unchanged' ? ' (already advertised)' : ''}`);
          outcomes.push({ ...o, id: step.id, detail });
          return;
        }
        if (step.action?.kind === 'wait-bridges') {
          await ctx.actions.waitForBridges(namespace, step.action.release, step.action.bridges, ctx.signal, progress);
          outcomes.push({ id: step.id, status: 'done' });
          return;
        }
        const o = await runStep(step, ctx, progress);
        if (o.status !== 'done') report.retitle(`${step.title} — ${o.status}${o.detail ? `: ${o.detail}` : ''}`);
        outcomes.push(o);
      },
    }),
  );
  try {
    await runTasks(tasks);
  } catch (e) {
    // helm rolled back the failing release itself; undo the releases earlier steps changed in this run
    const undone = await rollBack(outcomes, ctx);
    if (undone.length === 0) throw e;
    // stopped by a signal: still an interruption (exit 130/143/129), saying what was undone
    if (e instanceof InterruptedError) throw new InterruptedError(`${e.message}\nrolled back: ${undone.join('; ')}`);
    const err = e instanceof CommandError ? e : new CommandError((e as Error).message);
    throw new CommandError(`${err.message}\nrolled back: ${undone.join('; ')}`, err.hint, err.details);
  }
  return outcomes;
}

/**
 * Returns every release changed by this run to where it was: rollback to its last deployed revision,
 * uninstall only what this run installed fresh, and leave alone a release that existed with nothing deployed.
 */
async function rollBack(outcomes: StepOutcome[], ctx: StepContext): Promise<string[]> {
  const done: string[] = [];
  // each release once, back to where it was before this run (its first change), last changed first
  const first = new Map<string, StepOutcome>();
  for (const o of outcomes) if (o.status === 'done' && o.changed && !first.has(o.changed.release)) first.set(o.changed.release, o);
  for (const o of [...first.values()].reverse()) {
    const c = o.changed!;
    if (c.previousRevision === undefined && c.previousStatus !== undefined) {
      done.push(`${c.release}: left as it is (it was ${c.previousStatus} before this run, with no deployed revision to return to)`);
      continue;
    }
    const args =
      c.previousRevision !== undefined
        ? [
            'rollback',
            c.release,
            String(c.previousRevision),
            '--namespace',
            c.namespace,
            '--wait',
            '--timeout',
            '10m',
            // helm 4 applies server-side: the old revision's fields win over later managers (the claims move's kubectl annotate)
            ...(ctx.helm.major >= 4 ? ['--force-conflicts'] : []),
            ...c.context,
          ]
        : ['uninstall', c.release, '--namespace', c.namespace, '--wait', '--timeout', '10m', ...c.context];
    // the rollback must run even after Ctrl-C
    const helm = () => run(ctx.helm.bin, args, { signal: new AbortController().signal, timeoutMs: ROLLBACK_TIMEOUT_MS });
    try {
      await helm().catch((e: unknown) => {
        if (c.previousRevision === undefined || !(e instanceof CommandError) || !KEPT_OBJECT_MISSING.test(e.message)) throw e;
        // the failed attempt recorded the old revision's manifest as the release's last: the second finds the kept objects in it
        return helm();
      });
      o.status = 'rolled-back';
      done.push(c.previousRevision !== undefined ? `${c.release} to revision ${c.previousRevision}` : `${c.release} (new install removed)`);
    } catch (e) {
      const why = (e as Error).message.trim().split('\n').at(-1)!.replace(/^Error: /, '');
      done.push(`${c.release}: rollback FAILED (${why}) — run \`helm ${args.join(' ')}\``);
    }
  }
  return done;
}

export interface ClusterActionsOptions {
  /** how a load balancer's hostname becomes addresses (default: the system resolver) */
  resolve?: Resolve;
  /** cancels the kube client's requests */
  signal?: AbortSignal;
}

/** The real cluster side of apply: load-balancer and Ingress addresses, bridges ready, through a kube client for the config's context. */
export async function defaultClusterActions(config: Config, { resolve = systemResolve, signal }: ClusterActionsOptions = {}): Promise<ClusterActions> {
  const { openKube } = await import('./kube.js');
  const { sleep, waitForBridges } = await import('./wait.js');
  const kube = openKube({ context: config.cluster.context, namespace: config.cluster.namespace, signal });
  /** polls every 5 s for up to 10 minutes until read() gives a value */
  async function waitFor<T>(read: () => Promise<T | undefined>, signal: AbortSignal, onTimeout: () => CommandError): Promise<T> {
    const deadline = Date.now() + 10 * 60_000;
    while (Date.now() < deadline) {
      const value = await read();
      if (value !== undefined) return value;
      await sleep(5_000, signal);
    }
    throw onTimeout();
  }
  return {
    serviceAddresses: (namespace, service, signal) =>
      waitFor(
        async () => {
          const svc = (await kube.services(namespace)).find((s) => s.metadata?.name === service);
          return loadBalancerAddresses(service, svc?.status?.loadBalancer?.ingress, resolve);
        },
        signal,
        () =>
          new CommandError(
            `Service ${service} got no load-balancer address within 10 minutes`,
            'check your load balancer controller (`kubectl describe service`), or set exposure.publicIP in jitsi-k8s.yaml',
          ),
      ),
    ingressHostname: (namespace, ingress, signal) =>
      waitFor(
        async () => {
          const res = await kube.request(
            'GET',
            `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/ingresses/${encodeURIComponent(ingress)}`,
          );
          if (res.status === 404) return undefined;
          if (res.status >= 300)
            throw new CommandError(`reading Ingress ${ingress}: HTTP ${res.status}`, 'check that your credentials may read Ingresses in the namespace');
          const status = (JSON.parse(res.body) as { status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } } }).status;
          return status?.loadBalancer?.ingress?.find((i) => i.hostname)?.hostname;
        },
        signal,
        () =>
          new CommandError(
            `Ingress ${ingress} got no tailnet name within 10 minutes`,
            'check the Tailscale operator (`kubectl describe ingress` and the operator logs), or set exposure.tailscale.fqdn in jitsi-k8s.yaml',
          ),
      ),
    async waitForBridges(namespace, release, bridges, signal, progress) {
      await waitForBridges(kube, {
        namespace,
        release,
        count: bridges,
        signal,
        timeoutMs: 10 * 60_000,
        onProgress: (b, elapsedMs) =>
          progress(`${b.filter((x) => x.ready && x.answering).length}/${bridges} bridges ready and answering (${Math.round(elapsedMs / 1000)}s)`),
      });
    },
  };
}

/** Claims in a release's manifest that helm would delete with the release (no keep policy). */
export function unkeptClaims(manifest: string): string[] {
  return parseAllDocuments(manifest)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string; annotations?: Record<string, string> } } | null)
    .filter((o) => o?.kind === 'PersistentVolumeClaim' && o.metadata?.annotations?.[KEEP_POLICY] !== 'keep')
    .map((o) => o!.metadata!.name!);
}

/** A release applied by an older jitsi-k8s still holds chart 3.4.0's own recording/transcript claims: its uninstall would delete them. */
export async function refuseToDropClaims(helm: ToolInfo, c: Config, signal: AbortSignal): Promise<void> {
  let manifest: string;
  try {
    manifest = (await run(helm.bin, ['get', 'manifest', c.cluster.release, '--namespace', c.cluster.namespace, ...contextFlags('helm', c.cluster.context)], { signal, timeoutMs: 60_000 })).stdout;
  } catch (e) {
    if (e instanceof CommandError && /not found/i.test(e.message)) return;
    throw e;
  }
  const claims = unkeptClaims(manifest);
  if (claims.length === 0) return;
  throw new CommandError(
    `release ${c.cluster.release} still owns PersistentVolumeClaim ${claims.join(', ')} (applied by an older jitsi-k8s): uninstalling it would delete the data — nothing was removed`,
    'run `jitsi-k8s apply` first (it moves the claims to a release that keeps them), then uninstall; or `jitsi-k8s uninstall --delete-data` to delete them',
  );
}
