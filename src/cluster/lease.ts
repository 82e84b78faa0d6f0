/**
 * Never two runs at once on one release: a run that changes things holds a coordination.k8s.io/v1
 * Lease `jitsi-k8s-<release>` in the release's namespace (the API's own lock, as leader election
 * uses it), renewing it every few seconds. A second run reads who holds it since when and stops; a
 * lease whose holder stopped renewing (a killed run) is taken over. Taking and renewing are writes
 * with the read resourceVersion, so two runs racing for a free lease cannot both win (409).
 * The lease is deleted when the run ends; one left behind is the mark of a killed run, and its
 * annotations say which command it was and the helm timeout it started with.
 */
import { hostname, userInfo } from 'node:os';
import { CommandError } from '../errors.js';
import type { Kube } from './kube.js';

/** How long a lease holds without renewal. */
export const LEASE_SECONDS = 30;
/** How often the holder renews it. */
const RENEW_MS = 10_000;

const A = {
  command: 'jitsi-k8s/command',
  host: 'jitsi-k8s/host',
  pid: 'jitsi-k8s/pid',
  timeout: 'jitsi-k8s/timeout-seconds',
} as const;

export interface LeaseHolder {
  /** "<user>@<host> pid <pid>" */
  identity: string;
  command?: string;
  host?: string;
  pid?: number;
  /** the helm timeout the run started with, in seconds */
  timeoutSeconds?: number;
  acquired?: string;
  renewed?: string;
  /** the holder stopped renewing: it may be taken over */
  expired: boolean;
}

interface LeaseObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export const leaseName = (release: string) => `jitsi-k8s-${release}`;
const leasesPath = (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;

/** MicroTime: RFC 3339 with microseconds. */
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function holderOf(lease: LeaseObject, now = Date.now()): LeaseHolder {
  const a = lease.metadata.annotations ?? {};
  const renewed = lease.spec.renewTime ?? lease.spec.acquireTime;
  const duration = (lease.spec.leaseDurationSeconds ?? LEASE_SECONDS) * 1000;
  return {
    identity: lease.spec.holderIdentity ?? '?',
    command: a[A.command],
    host: a[A.host],
    pid: a[A.pid] ? Number(a[A.pid]) : undefined,
    timeoutSeconds: a[A.timeout] ? Number(a[A.timeout]) : undefined,
    acquired: lease.spec.acquireTime,
    renewed,
    expired: !lease.spec.holderIdentity || !renewed || Date.parse(renewed) + duration < now,
  };
}

/** The lease of a release as it is now, or undefined (no run holds it and none was killed holding it). */
export async function readLease(kube: Kube, namespace: string, release: string): Promise<{ lease: LeaseObject; holder: LeaseHolder } | undefined> {
  const r = await kube.request('GET', `${leasesPath(namespace)}/${leaseName(release)}`);
  if (r.status === 404) return undefined;
  if (r.status >= 300)
    throw new CommandError(
      `reading Lease ${leaseName(release)}: HTTP ${r.status} ${r.body.slice(0, 160)}`,
      'your credentials need get/create/update/delete on leases (coordination.k8s.io) in the namespace',
    );
  const lease = JSON.parse(r.body) as LeaseObject;
  const holder = holderOf(lease);
  // a holder on this machine whose process is gone renews no more: free now, not only once its lease runs out
  if (!holder.expired && holder.host === hostname() && holder.pid !== undefined && !alive(holder.pid)) holder.expired = true;
  return { lease, holder };
}

export interface HeldLease {
  /** the holder this run wrote */
  holder: LeaseHolder;
  /** the lease a killed run left, taken over by this one */
  tookOverFrom?: LeaseHolder;
  /** stops renewing and deletes the lease */
  release(): Promise<void>;
}

const ago = (iso: string | undefined, now = Date.now()) => (iso ? `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))}s ago` : 'at an unknown time');

/** "jitsi-k8s scale (me@host pid 42) since 2026-12-07T18:00:00Z, renewed 3s ago" */
export function describeHolder(h: LeaseHolder): string {
  return `${h.command ? `\`${h.command}\` ` : ''}(${h.identity}) since ${h.acquired ?? '?'}, renewed ${ago(h.renewed)}`;
}

export interface AcquireOptions {
  /** what the run does, shown to a second run: "jitsi-k8s scale jvb 3" */
  command: string;
  /** the helm timeout this run starts with, in seconds (a later run judges a pending release by it) */
  timeoutSeconds?: number;
  /** whether the namespace exists already (it is created for the lease otherwise) */
  createNamespace?: boolean;
}

/** Holds in this process: a nested pipeline call (scale → apply) shares the outer one's lease. */
const held = new Map<string, { count: number; lease: HeldLease }>();

/**
 * Takes the release's lease, or throws a CommandError naming the run that holds it. A lease whose
 * holder stopped renewing is taken over (and reported in tookOverFrom).
 */
export async function acquireLease(kube: Kube, namespace: string, release: string, opts: AcquireOptions): Promise<HeldLease> {
  const key = `${kube.server} ${namespace}/${release}`;
  const mine = held.get(key);
  if (mine) {
    mine.count++;
    return { ...mine.lease, tookOverFrom: undefined, release: async () => void (--mine.count === 0 && (held.delete(key), await mine.lease.release())) };
  }
  const namespaceExists = await kube.namespaceExists(namespace);
  // nothing there to change (an uninstall of what was never installed): nothing to lock, and no namespace is made for it
  if (!namespaceExists && opts.createNamespace === false) return { holder: { identity: 'nobody', expired: true }, release: async () => undefined };
  if (!namespaceExists) {
    const r = await kube.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    if (r.status >= 300 && r.status !== 409)
      throw new CommandError(`cannot create namespace ${namespace}: HTTP ${r.status}`, 'your credentials need create on namespaces, or create it first');
  }
  const identity = `${safeUser()}@${hostname()} pid ${process.pid}`;
  const now = Date.now();
  const body = (resourceVersion?: string, transitions = 0): LeaseObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: leaseName(release),
      namespace,
      ...(resourceVersion ? { resourceVersion } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'jitsi-k8s', 'app.kubernetes.io/instance': release },
      annotations: {
        [A.command]: opts.command,
        [A.host]: hostname(),
        [A.pid]: String(process.pid),
        ...(opts.timeoutSeconds ? { [A.timeout]: String(opts.timeoutSeconds) } : {}),
      },
    },
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: transitions,
    },
  });
  const existing = await readLease(kube, namespace, release);
  let tookOverFrom: LeaseHolder | undefined;
  let written: LeaseObject;
  const refused = (h: LeaseHolder) =>
    new CommandError(
      `release ${release} in ${namespace} is being changed by another run: ${describeHolder(h)} — nothing was changed`,
      `wait for that run to end; if it is gone, its lease frees itself ${LEASE_SECONDS}s after its last renewal (then the next run takes over and finishes what it left)`,
    );
  if (!existing) {
    const r = await kube.request('POST', leasesPath(namespace), { body: body() });
    if (r.status === 409) {
      const now2 = await readLease(kube, namespace, release);
      throw refused(now2?.holder ?? { identity: '?', expired: false });
    }
    if (r.status >= 300)
      throw new CommandError(
        `cannot create Lease ${leaseName(release)}: HTTP ${r.status} ${r.body.slice(0, 160)}`,
        'your credentials need create on leases (coordination.k8s.io) in the namespace',
      );
    written = JSON.parse(r.body) as LeaseObject;
  } else {
    if (!existing.holder.expired) throw refused(existing.holder);
    tookOverFrom = existing.holder;
    const r = await kube.request('PUT', `${leasesPath(namespace)}/${leaseName(release)}`, {
      body: body(existing.lease.metadata.resourceVersion, (existing.lease.spec.leaseTransitions ?? 0) + 1),
    });
    // someone else took it over between our read and write
    if (r.status === 409) throw refused((await readLease(kube, namespace, release))?.holder ?? existing.holder);
    if (r.status >= 300)
      throw new CommandError(
        `cannot take over Lease ${leaseName(release)}: HTTP ${r.status} ${r.body.slice(0, 160)}`,
        'your credentials need update on leases (coordination.k8s.io) in the namespace',
      );
    written = JSON.parse(r.body) as LeaseObject;
  }
  let stopped = false;
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    const next: LeaseObject = { ...written, spec: { ...written.spec, renewTime: microTime(Date.now()) } };
    // renewals are not stopped by Ctrl-C: the cleanup after it still holds the release
    const r = await kube
      .request('PUT', `${leasesPath(namespace)}/${leaseName(release)}`, { body: next, cleanup: true, timeoutMs: 8_000 })
      .catch(() => undefined);
    if (r && r.status < 300) written = JSON.parse(r.body) as LeaseObject;
  };
  const timer = setInterval(() => {
    if (!stopped) renewing = renew();
  }, RENEW_MS);
  timer.unref();
  const lease: HeldLease = {
    holder: holderOf(written),
    tookOverFrom,
    async release() {
      stopped = true;
      clearInterval(timer);
      await renewing;
      const rv = written.metadata.resourceVersion;
      // only our own lease: a precondition on the version we wrote last
      await kube
        .request('DELETE', `${leasesPath(namespace)}/${leaseName(release)}`, {
          body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: rv } },
          cleanup: true,
          timeoutMs: 8_000,
        })
        .catch(() => undefined);
    },
  };
  held.set(key, { count: 1, lease });
  return {
    ...lease,
    release: async () => {
      const h = held.get(key);
      if (h && --h.count > 0) return;
      held.delete(key);
      await lease.release();
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
