/**
 * Planned removal of bridges: before the helm step that removes them, the bridges that go (chosen
 * by cluster/scale.ts) are made the ones Kubernetes removes (hostPort: the lowest
 * pod-deletion-cost, marked so the in-cluster keeper leaves it; behind a Service helm removes the
 * highest-numbered Deployments anyway), put in drain mode (jicofo starts no new conference there)
 * and waited for until their own participants left or the drain timeout passed. At the deadline the
 * caller's confirm decides whether the rest are dropped. Anything that stops it — a signal, a "no",
 * a refusal, a failed helm step afterwards — takes the bridges out of drain mode and puts their
 * deletion cost back (`undo`), changing nothing else.
 */
import { EXPOSURE } from '../config/exposure.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { DELETION_COST, LEAVING, patchPodAnnotations, readBridgeLoadState, setDrainMode, type BridgeLoadState, type BridgeState } from '../cluster/drain.js';
import { KubeApiError, type Kube } from '../cluster/kube.js';
import type { BridgeLoad } from '../cluster/scale.js';
import { sleep } from '../cluster/wait.js';
import { COST_BEFORE } from '../cluster/leftovers.js';
import { InterruptedError } from '../errors.js';

export interface DrainingBridge {
  pod: string;
  participants?: number;
  conferences?: number;
  state?: BridgeState;
}

export interface DrainProgress {
  elapsedMs: number;
  bridges: DrainingBridge[];
}

export interface DrainInput {
  kube: Kube;
  config: Config;
  /** every bridge now; `removed` marks the ones that go */
  bridges: BridgeLoad[];
  /** how long to wait for the meetings to end */
  timeoutSeconds: number;
  /** at the deadline, drop whoever is left without asking */
  yes: boolean;
  /** asked at the deadline (a terminal "yes"); false stops without changing anything */
  confirm: (message: string) => Promise<boolean>;
  onProgress: (p: DrainProgress) => void;
  signal: AbortSignal;
  /** how often the bridges are read; default 2 s */
  pollMs?: number;
}

export interface Drained {
  /** the pods that go, drained */
  pods: string[];
  /** how long the drain took */
  drainedMs: number;
  /** participants still on them when the wait ended (dropped by the helm step) */
  left: number;
  /** takes the bridges out of drain mode and puts their deletion cost back (when the helm step did not run or failed) */
  undo(): Promise<void>;
}

const participantsOf = (bridges: DrainingBridge[]) => bridges.reduce((s, b) => s + (b.participants ?? 0), 0);

/** Drains the bridges that go; resolves once they are empty (or the deadline was confirmed), 'cancelled' after a "no". */
export async function drainLeaving(input: DrainInput): Promise<Drained | 'cancelled'> {
  const { kube, config } = input;
  const ns = config.cluster.namespace;
  const leaving = input.bridges.filter((b) => b.removed);
  const staying = input.bridges.filter((b) => !b.removed);
  const pickByCost = !EXPOSURE[config.exposure.mode].behindService;
  const annotated: BridgeLoad[] = [];
  const drained: string[] = [];
  const undo = async () => {
    // cleanup requests: not stopped by the signal that stopped the wait
    await Promise.all([
      ...drained.map((pod) => setDrainMode(kube, ns, pod, false, { cleanup: true }).catch(() => undefined)),
      ...annotated.map((b) => patchPodAnnotations(kube, ns, b.pod, { [DELETION_COST]: b.deletionCost ?? null, [LEAVING]: null, [COST_BEFORE]: null }, { cleanup: true }).catch(() => undefined)),
    ]);
  };
  const started = Date.now();
  try {
    if (pickByCost) {
      // below every bridge that stays: the ReplicaSet removes the lowest cost first
      const lowest = Math.min(0, ...staying.map((b) => Number(b.deletionCost ?? 0)).filter(Number.isFinite));
      for (const b of leaving) {
        annotated.push(b);
        await patchPodAnnotations(kube, ns, b.pod, { [DELETION_COST]: String(lowest - 1), [LEAVING]: 'true', ...(b.deletionCost !== undefined ? { [COST_BEFORE]: b.deletionCost } : {}) }, { signal: input.signal });
      }
    }
    for (const b of leaving) {
      await setDrainMode(kube, ns, b.pod, true, { signal: input.signal });
      drained.push(b.pod);
    }
    const deadline = started + input.timeoutSeconds * 1000;
    let now: DrainingBridge[] = leaving.map((b) => ({ pod: b.pod, participants: b.participants, conferences: b.conferences, state: 'draining' }));
    for (;;) {
      now = await Promise.all(
        leaving.map(async (b) => {
          const s = await readBridgeLoadState(kube, ns, b.pod, { signal: input.signal }).catch((e: unknown) => {
            if (input.signal.aborted) throw e;
            // the pod is gone (someone else removed it): nobody is left on it
            if (e instanceof KubeApiError && e.status === 404) return { participants: 0, conferences: 0 } as BridgeLoadState;
            return undefined;
          });
          return { pod: b.pod, participants: s?.participants, conferences: s?.conferences, state: s?.state };
        }),
      );
      input.onProgress({ elapsedMs: Date.now() - started, bridges: now });
      if (now.every((b) => b.participants === 0)) break;
      if (Date.now() >= deadline) {
        const left = participantsOf(now);
        const message = `the drain time (${formatDuration(input.timeoutSeconds)}) is over: ${left} participant(s) still on ${now
          .filter((b) => (b.participants ?? 0) > 0)
          .map((b) => b.pod)
          .join(', ')} will be disconnected. Remove the bridges anyway?`;
        if (!input.yes && !(await input.confirm(message))) {
          await undo();
          return 'cancelled';
        }
        break;
      }
      await sleep(Math.min(input.pollMs ?? 2_000, Math.max(0, deadline - Date.now())), input.signal);
    }
    return { pods: leaving.map((b) => b.pod), drainedMs: Date.now() - started, left: participantsOf(now), undo };
  } catch (e) {
    await undo();
    throw input.signal.aborted && !(e instanceof InterruptedError) ? new InterruptedError((input.signal.reason as Error | undefined)?.message) : e;
  }
}
