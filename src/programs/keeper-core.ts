/**
 * The deletion-cost keeper's work, apart from its entry point: every period, list the bridge pods,
 * read each one's /colibri/stats on its pod IP (port 8080) and write participants − octo_endpoints
 * (its own participants) into `controller.kubernetes.io/pod-deletion-cost`, so a ReplicaSet scaling
 * in (HPA, KEDA, kubectl scale) removes the emptiest bridge. A pod jitsi-k8s is removing
 * (`jitsi-k8s/leaving`) or that is terminating is left alone. It needs pods list and patch, nothing
 * else (the stats come from the pod IP, not the API server's proxy).
 */
export const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
export const LEAVING = 'jitsi-k8s/leaving';

export interface KeeperPod {
  name: string;
  ip?: string;
  cost?: string;
  leaving: boolean;
  terminating: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The pods of a PodList answer. */
export function podsOf(list: unknown): KeeperPod[] {
  const items = isObj(list) && Array.isArray(list.items) ? list.items : [];
  return items.filter(isObj).map((p) => {
    const meta = (isObj(p.metadata) ? p.metadata : {}) as { name?: string; annotations?: Record<string, string>; deletionTimestamp?: string };
    const status = (isObj(p.status) ? p.status : {}) as { podIP?: string };
    return {
      name: meta.name ?? '?',
      ip: status.podIP,
      cost: meta.annotations?.[DELETION_COST],
      leaving: meta.annotations?.[LEAVING] !== undefined,
      terminating: meta.deletionTimestamp !== undefined,
    };
  });
}

/** A bridge's own participants from its /colibri/stats answer; undefined when it has no such figure. */
export function costOf(stats: unknown): number | undefined {
  if (!isObj(stats) || typeof stats.participants !== 'number') return undefined;
  const octo = typeof stats.octo_endpoints === 'number' ? stats.octo_endpoints : 0;
  return Math.max(0, Math.round(stats.participants - octo));
}

export interface KeeperIO {
  listPods(): Promise<unknown>;
  readStats(ip: string): Promise<unknown>;
  patchCost(pod: string, cost: string): Promise<void>;
  log(line: string): void;
}

/** One round: the cost of every bridge that answers; returns what was written. */
export async function keepRound(io: KeeperIO): Promise<{ pod: string; cost: string }[]> {
  const written: { pod: string; cost: string }[] = [];
  const pods = podsOf(await io.listPods()).filter((p) => p.ip && !p.leaving && !p.terminating);
  await Promise.all(
    pods.map(async (p) => {
      let cost: number | undefined;
      try {
        cost = costOf(await io.readStats(p.ip!));
      } catch (e) {
        io.log(`${p.name}: no /colibri/stats (${(e as Error).message}); its cost stays ${p.cost ?? 'unset'}`);
        return;
      }
      if (cost === undefined || String(cost) === p.cost) return;
      await io.patchCost(p.name, String(cost));
      written.push({ pod: p.name, cost: String(cost) });
      io.log(`${p.name}: pod-deletion-cost ${p.cost ?? 'unset'} → ${cost}`);
    }),
  );
  return written;
}
