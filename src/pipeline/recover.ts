/**
 * The next run finishes or undoes what a killed one left (src/cluster/leftovers.ts finds it): it
 * takes the release's lease first (a live run holding it stops this one), then rolls a stale pending
 * release back to its last deployed revision (or removes a first install that never deployed and owns
 * no claims), takes bridges out of drain mode with their deletion cost back, and deletes the bench
 * objects of a coordinator that is gone. A bridge count that differs from the config is left to the
 * apply that follows (it goes back to the config's count). Every command that changes the release
 * (apply, scale, uninstall, a bench sweep) comes through here.
 */
import type { Config } from '../config/schema.js';
import { CommandError } from '../errors.js';
import { run } from '../cluster/exec.js';
import { contextFlags, type ToolInfo } from '../cluster/helm.js';
import { DELETION_COST, LEAVING, patchPodAnnotations, setDrainMode } from '../cluster/drain.js';
import type { Kube } from '../cluster/kube.js';
import { acquireLease, type HeldLease } from '../cluster/lease.js';
import {
  COST_BEFORE,
  describeLeftovers,
  detectLeftovers,
  judgePending,
  helmRevisions,
  leftoverTarget,
  markRevisionFailed,
  nothingLeft,
  type Leftovers,
} from '../cluster/leftovers.js';

export interface RecoverInput {
  kube: Kube;
  config: Config;
  /** helm, or how to find it: only a pending release needs it */
  helm: ToolInfo | (() => Promise<ToolInfo>);
  /** uninstall: a namespace that does not exist holds nothing to lock or recover (it is not created) */
  createNamespace?: boolean;
  /** --recover: a pending release no helm process here works on is rolled back now, whatever its age */
  recover?: boolean;
  /** the helm timeout of this run, in seconds */
  timeoutSeconds?: number;
  /** what this run is, for a second run to read: "jitsi-k8s scale jvb 3" */
  command: string;
  say: (message: string) => void;
}

export interface Recovered {
  lease: HeldLease;
  leftovers: Leftovers;
  /** what was done, one line each */
  done: string[];
}

const HELM_RECOVER_TIMEOUT = '10m';

/** Takes the release's lease and puts right what a killed run left; the caller releases the lease when it is done. */
export async function takeOverRelease(input: RecoverInput): Promise<Recovered> {
  const { kube, config } = input;
  const ns = config.cluster.namespace;
  const lease = await acquireLease(kube, ns, config.cluster.release, {
    command: input.command,
    timeoutSeconds: input.timeoutSeconds,
    createNamespace: input.createNamespace,
  });
  try {
    const done = await recoverUnderLease(input, lease);
    return { lease, ...done };
  } catch (e) {
    await lease.release();
    throw e;
  }
}

async function recoverUnderLease(input: RecoverInput, lease: HeldLease): Promise<{ leftovers: Leftovers; done: string[] }> {
  const { kube, config } = input;
  const ns = config.cluster.namespace;
  const leftovers = await detectLeftovers(kube, leftoverTarget(config));
  // the count is the following apply's to put right; a nested call (scale → apply) has nothing else to do
  const rest = { ...leftovers, bridgeCount: undefined, staleLease: lease.tookOverFrom };
  if (nothingLeft(rest)) return { leftovers, done: [] };
  const judge = { recover: input.recover, lease: lease.tookOverFrom, timeoutSeconds: input.timeoutSeconds };
  for (const l of describeLeftovers(rest, judge)) input.say(`left by a killed run: ${l.what} → ${l.action}`);
  const done: string[] = [];
  const ctx = contextFlags('helm', config.cluster.context);
  for (const p of leftovers.pending) {
    const a = judgePending(p, judge);
    const helm = typeof input.helm === 'function' ? await input.helm() : input.helm;
    if (a.kind === 'wait' || a.kind === 'refuse') {
      throw new CommandError(
        `release ${p.release} is ${p.status} (revision ${p.revision}${p.since ? `, since ${p.since}` : ''}): ${a.why} — nothing was changed`,
        a.kind === 'wait'
          ? p.helmProcesses.length
            ? 'run this again once that helm process has ended'
            : `pass --recover to roll it back now (only when no run on another machine is working on it), or \`helm history ${p.release} -n ${ns}\` to look first`
          : `keep the data: \`helm rollback\` is not possible without a deployed revision; move the claims away or uninstall with --delete-data if the data may go`,
      );
    }
    if (a.kind === 'rollback') {
      try {
        await run(
          helm.bin,
          [
            'rollback',
            p.release,
            String(a.to),
            '--namespace',
            ns,
            '--wait',
            '--timeout',
            HELM_RECOVER_TIMEOUT,
            ...(helm.major >= 4 ? ['--force-conflicts'] : []),
            ...ctx,
          ],
          { timeoutMs: 11 * 60_000 },
        );
        done.push(`release ${p.release}: ${p.status} revision ${p.revision} rolled back to revision ${a.to}`);
      } catch (e) {
        // helm's rollback refuses an object the killed upgrade had not yet removed (in the cluster, not in the
        // pending revision's manifest). helm records that rollback as failed; the pending revision is marked failed
        // too if it is still pending, and this run's upgrade starts from the deployed revision a.to
        const refused = /original object .* not found|no \S+ with the name .* found/.exec((e as Error).message);
        if (!refused) throw e;
        const now = (await helmRevisions(kube, ns)).get(p.release)?.find((r) => r.revision === p.revision);
        if (now?.status.startsWith('pending-'))
          await markRevisionFailed(
            kube,
            ns,
            p.release,
            p.revision,
            `marked failed by jitsi-k8s: a killed run left it ${p.status}; helm rollback: ${refused[0]}`,
          );
        done.push(
          `release ${p.release}: ${p.status} revision ${p.revision} marked failed (helm could not roll back over what the killed run half changed: ${refused[0]}); this run upgrades from revision ${a.to}`,
        );
      }
    } else {
      await run(helm.bin, ['uninstall', p.release, '--namespace', ns, '--wait', '--timeout', HELM_RECOVER_TIMEOUT, ...ctx], { timeoutMs: 11 * 60_000 });
      done.push(
        p.status === 'uninstalling'
          ? `release ${p.release}: the uninstall cut short is finished`
          : `release ${p.release}: ${p.status} first install (never deployed, no claims) removed`,
      );
    }
  }
  for (const b of leftovers.bridges) {
    if (b.drain) await setDrainMode(kube, ns, b.pod, false);
    if (b.leaving) await patchPodAnnotations(kube, ns, b.pod, { [LEAVING]: null, [COST_BEFORE]: null, [DELETION_COST]: b.costBefore ?? null });
    done.push(`bridge ${b.pod}: out of drain mode${b.leaving ? `, deletion cost ${b.costBefore ?? 'removed'}` : ''}`);
  }
  for (const o of leftovers.bench) {
    if (!o.coordinatorGone && !input.recover) continue;
    const path =
      o.kind === 'Job'
        ? `/apis/batch/v1/namespaces/${o.namespace}/jobs/${o.name}?propagationPolicy=Background`
        : `/api/v1/namespaces/${o.namespace}/${o.kind === 'ConfigMap' ? 'configmaps' : 'secrets'}/${o.name}`;
    const r = await kube.request('DELETE', path);
    if (r.status >= 300 && r.status !== 404)
      throw new CommandError(
        `cannot delete bench ${o.kind} ${o.namespace}/${o.name}: HTTP ${r.status}`,
        'your credentials need delete on jobs, configmaps and secrets in the bench namespace',
      );
    done.push(`bench ${o.kind} ${o.namespace}/${o.name}: deleted`);
  }
  if (lease.tookOverFrom) done.push(`lease of ${lease.tookOverFrom.identity} (${lease.tookOverFrom.command ?? '?'}): taken over`);
  for (const d of done) input.say(`recovered: ${d}`);
  return { leftovers, done };
}
