/**
 * A thin typed client over @kubernetes/client-node: loads the kubeconfig the way kubectl does
 * (KUBECONFIG, else ~/.kube/config, else in-cluster), honours --context / --namespace, and offers
 * the few reads jitsi-k8s needs plus raw requests through the API server (pod and node proxy,
 * metrics API). Every failure becomes a CommandError with a hint. Import it only with
 * `await import()` from a command action: client-node is heavy.
 */
import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import {
  ApiException,
  ApisApi,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  Log,
  Observable,
  type RequestContext,
  type ResponseContext,
  StorageV1Api,
  VersionApi,
  type ConfigurationOptions,
  type PodMetric,
  type PodMetricsList,
  type V1Deployment,
  type V1HorizontalPodAutoscaler,
  type V1Node,
  type V1Pod,
  type V1Service,
  type V1StatefulSet,
  type V1Status,
  type V1StorageClass,
  type V2HorizontalPodAutoscaler,
  type VersionInfo,
} from '@kubernetes/client-node';
import { CommandError, InterruptedError, UsageError } from '../errors.js';
import { interruptSignal } from '../interrupt.js';

export type { PodMetric, V1Deployment, V1HorizontalPodAutoscaler, V1Node, V1Pod, V1Service, V1StatefulSet, V1StorageClass, V2HorizontalPodAutoscaler };

/** A failed API call; `status` is the HTTP status when the server answered. */
export class KubeApiError extends CommandError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly status?: number,
    details?: string,
  ) {
    super(message, hint, details);
  }
}

export interface KubeTarget {
  /** a kubeconfig file; default: KUBECONFIG, else ~/.kube/config, else in-cluster */
  kubeconfig?: string;
  /** --context; default: the kubeconfig's current context */
  context?: string;
  /** --namespace; default: the context's namespace, else "default" */
  namespace?: string;
  /** per-request timeout; default 15 s */
  timeoutMs?: number;
  /** aborts every request; default: the process-wide Ctrl-C signal */
  signal?: AbortSignal;
}

export interface RequestOpts {
  body?: string | object;
  accept?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** cleanup after Ctrl-C (delete what we created): not aborted by the client's signal, only by its own timeout */
  cleanup?: boolean;
  /** what a 404 means here, for the hint */
  notFoundHint?: string;
  /** the body's content type (default: application/json for an object, text/plain for a string), e.g. a merge patch */
  contentType?: string;
}

export interface RawResponse {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
}

export interface Kube {
  readonly context: string;
  readonly namespace: string;
  readonly server: string;
  /** all context names in the kubeconfig */
  readonly contexts: string[];
  /** the kubeconfig's own current context (before --context) */
  readonly currentContext: string;
  version(): Promise<VersionInfo>;
  nodes(): Promise<V1Node[]>;
  namespaceExists(namespace: string): Promise<boolean>;
  pods(namespace: string, labelSelector?: string): Promise<V1Pod[]>;
  deployments(namespace: string, labelSelector?: string): Promise<V1Deployment[]>;
  statefulSets(namespace: string, labelSelector?: string): Promise<V1StatefulSet[]>;
  services(namespace: string, labelSelector?: string): Promise<V1Service[]>;
  hpas(namespace: string, labelSelector?: string): Promise<V2HorizontalPodAutoscaler[]>;
  storageClasses(): Promise<V1StorageClass[]>;
  /** names of the API groups the server serves (metrics.k8s.io, cert-manager.io, tailscale.com …) */
  apiGroups(): Promise<Set<string>>;
  /** PodMetrics of a namespace; undefined when the metrics API is not installed */
  podMetrics(namespace: string, labelSelector?: string): Promise<PodMetric[] | undefined>;
  /** any request through the API server; non-2xx answers are returned, not thrown */
  request(method: string, path: string, opts?: RequestOpts): Promise<RawResponse>;
  /** GET through the API server; non-2xx throws a KubeApiError */
  getText(path: string, opts?: RequestOpts): Promise<string>;
  getJson<T>(path: string, opts?: RequestOpts): Promise<T>;
  /**
   * Streams a container's log (client-node `Log` with follow): each complete line goes to onLine as
   * it arrives. Resolves when the stream ends (the container exited) or `signal` aborts it.
   */
  followLog(namespace: string, pod: string, container: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
  /**
   * Runs a command in a container through the API server (client-node `Exec`, no TTY). `stdin` is
   * written to the command's standard input, never onto its argv: the way to hand it a password.
   */
  exec(namespace: string, pod: string, container: string, command: string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<ExecResult>;
}

export interface ExecResult {
  /** the command's exit code (from the API server's final status); -1 when it ended without one */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The exit code in an exec's final V1Status: Success = 0, else the ExitCode cause. */
export function execExitCode(status: V1Status | undefined): number {
  if (!status) return -1;
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause?.message !== undefined && /^\d+$/.test(cause.message) ? Number(cause.message) : -1;
}

export const podProxyPath = (namespace: string, pod: string, port: number, path: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy/${path.replace(/^\/+/, '')}`;

export const nodeProxyPath = (node: string, path: string): string => `/api/v1/nodes/${encodeURIComponent(node)}/proxy/${path.replace(/^\/+/, '')}`;

const UNREACHABLE_HINT = 'cluster unreachable — check --context / KUBECONFIG and that the API server is up';
const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE)$/;
const TLS_CODES = /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID)$/;

function loadKubeConfig(target: KubeTarget): KubeConfig {
  const kc = new KubeConfig();
  const file = target.kubeconfig;
  try {
    if (file) {
      kc.loadFromFile(file);
    } else {
      const fromEnv = process.env.KUBECONFIG?.split(process.platform === 'win32' ? ';' : ':').filter(Boolean) ?? [];
      const home = join(homedir(), '.kube', 'config');
      const inCluster = Boolean(process.env.KUBERNETES_SERVICE_HOST);
      if (fromEnv.length === 0 && !existsSync(home) && !inCluster) {
        throw new CommandError('no kubeconfig found (KUBECONFIG is not set and ~/.kube/config does not exist)', 'point KUBECONFIG at the kubeconfig of your cluster, or copy it to ~/.kube/config');
      }
      const missing = fromEnv.find((f) => !existsSync(f));
      if (missing && fromEnv.length === 1) throw new CommandError(`KUBECONFIG names ${missing}, which does not exist`, 'fix KUBECONFIG or create that file');
      kc.loadFromDefault();
    }
  } catch (e) {
    if (e instanceof CommandError) throw e;
    throw new CommandError(`cannot read the kubeconfig${file ? ` ${file}` : ''}: ${(e as Error).message}`, 'check the file is a valid kubeconfig (`kubectl config view`)');
  }
  return kc;
}

/** Opens the cluster named by the kubeconfig and --context; no request is made yet. */
export function openKube(target: KubeTarget = {}): Kube {
  const kc = loadKubeConfig(target);
  const currentContext = kc.getCurrentContext();
  const contexts = kc.getContexts().map((c) => c.name);
  if (target.context) {
    if (!contexts.includes(target.context)) {
      throw new UsageError(
        `kube context "${target.context}" does not exist in the kubeconfig`,
        contexts.length ? `known contexts: ${contexts.join(', ')} (\`kubectl config get-contexts\`)` : 'the kubeconfig has no contexts',
      );
    }
    kc.setCurrentContext(target.context);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new CommandError(`kube context "${context}" has no cluster`, 'check the context with `kubectl config get-contexts`');
  const server = cluster.server.replace(/\/+$/, '');
  const namespace = target.namespace ?? kc.getContextObject(context)?.namespace ?? 'default';
  const defaultTimeout = target.timeoutMs ?? 15_000;
  const baseSignal = target.signal ?? interruptSignal();
  const where = `context "${context}" (${server})`;

  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const apis = kc.makeApiClient(ApisApi);
  const versionApi = kc.makeApiClient(VersionApi);

  const signalFor = (timeoutMs: number, extra?: AbortSignal, cleanup = false) =>
    AbortSignal.any([...(cleanup ? [] : [baseSignal]), AbortSignal.timeout(timeoutMs), ...(extra ? [extra] : [])]);

  function explain(e: unknown, what: string, timeoutMs: number, extra?: AbortSignal, notFoundHint?: string): Error {
    if (baseSignal.aborted || extra?.aborted) return new InterruptedError(`interrupted while ${what}`);
    if (e instanceof KubeApiError || e instanceof InterruptedError) return e;
    const err = e as { name?: string; code?: unknown; type?: string; message?: string; body?: unknown; errno?: string };
    if (err?.name === 'AbortError' || err?.name === 'TimeoutError' || err?.type === 'aborted') {
      return new KubeApiError(`${what}: the API server at ${server} did not answer within ${Math.round(timeoutMs / 1000)}s`, UNREACHABLE_HINT);
    }
    if (e instanceof ApiException) return fromStatus(e.code, what, statusMessage(e.body), notFoundHint);
    const code = String(err?.code ?? err?.errno ?? '');
    if (TLS_CODES.test(code) || /certificate/i.test(String(err?.message))) {
      return new KubeApiError(
        `the API server of ${where} presented a certificate we do not trust: ${code || err?.message}`,
        'the kubeconfig\'s certificate-authority(-data) does not match the server — refresh the kubeconfig from your cluster',
      );
    }
    if (NETWORK_CODES.test(code) || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/i.test(String(err?.message))) {
      return new KubeApiError(`cannot reach the Kubernetes API server of ${where}: ${code || err?.message}`, UNREACHABLE_HINT);
    }
    return new KubeApiError(`${what} failed: ${err?.message ?? String(e)}`, UNREACHABLE_HINT);
  }

  function fromStatus(status: number, what: string, message: string, notFoundHint?: string): KubeApiError {
    const detail = message ? `: ${message}` : '';
    if (status === 401) return new KubeApiError(`${what}: the API server of ${where} rejected the credentials (401)`, 'your kube credentials are missing or expired — log in again or refresh the token in the kubeconfig', 401);
    if (status === 403) return new KubeApiError(`${what}: forbidden (403)${detail}`, `your kube user lacks the RBAC permission for this — ask for it, or use a context with more rights (\`kubectl auth can-i --list${namespace ? ` -n ${namespace}` : ''}\`)`, 403);
    if (status === 404) return new KubeApiError(`${what}: not found (404)${detail}`, notFoundHint ?? 'the object or API is not there — check --namespace / --release', 404);
    if (status === 503) return new KubeApiError(`${what}: service unavailable (503)${detail}`, 'the API server could not reach the target (pod not ready or its port not answering)', 503);
    return new KubeApiError(`${what}: the API server answered ${status}${detail}`, undefined, status);
  }

  /** A typed client-node call with our timeout and abort signal, errors explained. */
  async function call<T>(what: string, fn: (o: ConfigurationOptions) => Promise<T>, notFoundHint?: string): Promise<T> {
    const signal = signalFor(defaultTimeout);
    // ObjectParamAPI takes observable-style middleware (client-node's own Observable stub)
    const options: ConfigurationOptions = {
      middleware: [
        {
          pre: (ctx: RequestContext) => {
            ctx.setSignal(signal);
            return new Observable(Promise.resolve(ctx));
          },
          post: (r: ResponseContext) => new Observable(Promise.resolve(r)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
    try {
      return await fn(options);
    } catch (e) {
      throw explain(e, what, defaultTimeout, undefined, notFoundHint);
    }
  }

  async function request(method: string, path: string, opts: RequestOpts = {}): Promise<RawResponse> {
    const timeoutMs = opts.timeoutMs ?? defaultTimeout;
    const what = `${method} ${path}`;
    const httpsOpts: RequestOptions = {};
    try {
      await kc.applyToHTTPSOptions(httpsOpts);
    } catch (e) {
      throw new KubeApiError(`cannot prepare credentials for ${where}: ${(e as Error).message}`, 'check the user entry of the context (`kubectl config view --minify`)');
    }
    const url = new URL(server + path);
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...(httpsOpts.headers as Record<string, string> | undefined), accept: opts.accept ?? 'application/json, */*' };
    if (body !== undefined) {
      headers['content-type'] = opts.contentType ?? (typeof opts.body === 'string' ? 'text/plain' : 'application/json');
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const signal = signalFor(timeoutMs, opts.signal, opts.cleanup);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    try {
      return await new Promise<RawResponse>((resolve, reject) => {
        const req = send(url, { method, headers, agent: httpsOpts.agent, signal }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    } catch (e) {
      throw explain(e, what, timeoutMs, opts.signal);
    }
  }

  async function getText(path: string, opts: RequestOpts = {}): Promise<string> {
    const r = await request('GET', path, opts);
    if (r.status < 200 || r.status > 299) throw fromStatus(r.status, `GET ${path}`, statusMessage(r.body), opts.notFoundHint);
    return r.body;
  }

  async function getJson<T>(path: string, opts: RequestOpts = {}): Promise<T> {
    const text = await getText(path, opts);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubeApiError(`GET ${path}: the answer is not JSON (${text.slice(0, 80)})`, 'is the target the service you expect?');
    }
  }

  // discovery is asked often (metrics API present?) and changes rarely: keep it for a minute
  let groups: { at: number; value: Promise<Set<string>> } | undefined;
  const apiGroups = (): Promise<Set<string>> => {
    if (!groups || Date.now() - groups.at > 60_000) {
      const value = call('listing API groups', (o) => apis.getAPIVersions(o)).then((l) => new Set(l.groups.map((g) => g.name)));
      groups = { at: Date.now(), value };
      value.catch(() => {
        groups = undefined;
      });
    }
    return groups.value;
  };

  async function followLog(ns: string, pod: string, container: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    let partial = '';
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const sink = new Writable({
      write(chunk: Buffer, _enc, next) {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) onLine(l);
        next();
      },
      final(next) {
        if (partial) onLine(partial);
        partial = '';
        next();
      },
    });
    sink.on('finish', () => ended());
    sink.on('error', () => ended());
    if (signal.aborted) return;
    let stream: AbortController;
    try {
      stream = await new Log(kc).log(ns, pod, container, sink, { follow: true });
    } catch (e) {
      throw explain(e, `following the log of ${ns}/${pod}`, defaultTimeout, signal);
    }
    const stop = () => {
      stream.abort();
      ended();
    };
    signal.addEventListener('abort', stop, { once: true });
    await done;
    signal.removeEventListener('abort', stop);
  }

  async function exec(ns: string, pod: string, container: string, command: string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const what = `exec in ${ns}/${pod}`;
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const sink = (into: Buffer[]) =>
      new Writable({
        write(chunk: Buffer, _enc, next) {
          into.push(Buffer.from(chunk));
          next();
        },
      });
    let status: V1Status | undefined;
    const signal = signalFor(timeoutMs);
    const stdin = opts.stdin !== undefined ? Readable.from([Buffer.from(opts.stdin, 'utf8')]) : null;
    let ws: Awaited<ReturnType<Exec['exec']>>;
    try {
      ws = await new Exec(kc).exec(ns, pod, container, command, sink(chunks.stdout), sink(chunks.stderr), stdin, false, (s) => (status = s));
    } catch (e) {
      const err = e as { statusCode?: number; message?: string };
      if (typeof err?.statusCode === 'number') throw fromStatus(err.statusCode, what, err.message ?? '');
      throw explain(e, what, timeoutMs);
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => ws.close();
      signal.addEventListener('abort', onAbort, { once: true });
      ws.on('close', () => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted && !status) reject(explain(Object.assign(new Error('aborted'), { name: 'TimeoutError' }), what, timeoutMs));
        else resolve();
      });
      ws.on('error', (e) => reject(explain(e, what, timeoutMs)));
    });
    return { exitCode: execExitCode(status), stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
  }

  return {
    context,
    namespace,
    server,
    contexts,
    currentContext,
    version: () => call('reading the server version', (o) => versionApi.getCode(o)),
    nodes: async () => (await call('listing nodes', (o) => core.listNode({}, o))).items,
    namespaceExists: async (ns) => {
      try {
        await call(`reading namespace ${ns}`, (o) => core.readNamespace({ name: ns }, o));
        return true;
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return false;
        throw e;
      }
    },
    pods: async (ns, labelSelector) => (await call(`listing pods in ${ns}`, (o) => core.listNamespacedPod({ namespace: ns, labelSelector }, o))).items,
    deployments: async (ns, labelSelector) => (await call(`listing deployments in ${ns}`, (o) => apps.listNamespacedDeployment({ namespace: ns, labelSelector }, o))).items,
    statefulSets: async (ns, labelSelector) => (await call(`listing statefulsets in ${ns}`, (o) => apps.listNamespacedStatefulSet({ namespace: ns, labelSelector }, o))).items,
    services: async (ns, labelSelector) => (await call(`listing services in ${ns}`, (o) => core.listNamespacedService({ namespace: ns, labelSelector }, o))).items,
    hpas: async (ns, labelSelector) =>
      (await call(`listing horizontal pod autoscalers in ${ns}`, (o) => autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ns, labelSelector }, o))).items,
    storageClasses: async () => (await call('listing storage classes', (o) => storage.listStorageClass({}, o))).items,
    apiGroups,
    podMetrics: async (ns, labelSelector) => {
      if (!(await apiGroups()).has('metrics.k8s.io')) return undefined;
      const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
      // client-node's Metrics client takes no label selector, timeout or abort signal: its types, our request
      const list = await getJson<Partial<PodMetricsList>>(`/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ns)}/pods${q}`, {
        notFoundHint: 'the metrics API is registered but does not answer — check the metrics-server pod in kube-system',
      });
      return list.items ?? [];
    },
    request,
    getText,
    getJson,
    followLog,
    exec,
  };
}

/** The message of a Kubernetes Status body (JSON string or object), else a short text. */
function statusMessage(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  let b: unknown = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body);
    } catch {
      return body.trim().slice(0, 200);
    }
  }
  const m = (b as { message?: unknown })?.message;
  return typeof m === 'string' ? m : '';
}

/** CPU quantity ("250m", "1.5", "2500000n", "300u") → cores. */
export function cpuCores(q: string | undefined): number | undefined {
  if (!q) return undefined;
  const m = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(q.trim());
  if (!m) return undefined;
  const scale: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1 };
  return Number(m[1]) * (scale[m[2] ?? ''] ?? 1);
}

/** Memory quantity ("1200Mi", "1Gi", "123456Ki", "5e8", "500M") → MiB. */
export function memoryMiB(q: string | undefined): number | undefined {
  if (!q) return undefined;
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(q.trim());
  if (!m) return undefined;
  const bytes: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return (Number(m[1]) * (bytes[m[2] ?? ''] ?? 1)) / 1024 ** 2;
}
