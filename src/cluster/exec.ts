/**
 * The one subprocess helper: array argv (no shell), a timeout, the abort signal, stdin for
 * secrets and values. A non-zero exit becomes a CommandError with the command, the exit code,
 * the last lines of stderr and a hint.
 */
import { execa } from 'execa';
import { CommandError, InterruptedError } from '../errors.js';
import { interruptSignal } from '../interrupt.js';

export interface ExecOptions {
  /** written to the child's stdin (values files, manifests, secrets) */
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** after a cancel (SIGTERM), how long the child may take to finish before SIGKILL (default 5 s) */
  killAfterMs?: number;
  /** called with each stderr/stdout line as it arrives (progress) */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Hints for failures we recognise, by what stderr says. */
const HINTS: { test: RegExp; hint: (cmd: string) => string }[] = [
  { test: /not a valid chart repository or cannot be reached|failed to fetch .*index\.yaml|chart .* not found in .* index/i, hint: () => 'the chart repository cannot be reached from here — check network access, or pull the chart where it can be reached and point JITSI_K8S_CHART at the .tgz / folder' },
  { test: /Kubernetes cluster unreachable|connection refused|no such host|dial tcp|Unable to connect to the server/i, hint: () => 'cluster unreachable — check --context / KUBECONFIG and that the API server is up' },
  { test: /context .* (does not exist|not found)/i, hint: () => 'that kube context does not exist — list them with `kubectl config get-contexts`' },
  // before `forbidden`: an admission denial says "is forbidden" too, but no RBAC change fixes it
  { test: /ValidatingAdmissionPolicy .* denied request|admission webhook .* denied the request/i, hint: () => 'an admission policy of the cluster refused an object (its message is above) — change the config, or ask the cluster admin about the policy' },
  { test: /forbidden|Unauthorized/i, hint: () => 'your credentials lack permission — check the RBAC of your kube user' },
  { test: /timed out waiting|context deadline exceeded/i, hint: () => 'something did not become ready in time — `jitsi-k8s status` shows which pods are not ready' },
  { test: /another operation \(install\/upgrade\/rollback\) is in progress/i, hint: () => 'a previous helm run was interrupted — `helm history` then `helm rollback` the release' },
];

/** What stopped the work (Ctrl-C, SIGTERM from systemd or CI, SIGHUP): the interrupt signal's reason names it. */
const stoppedBy = (signal: AbortSignal) => (signal.reason instanceof InterruptedError ? signal.reason.message : 'interrupted');

export function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function run(file: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const signal = opts.signal ?? interruptSignal();
  const shown = [file, ...args].join(' ');
  // after a signal nothing new starts: execa would spawn the command and only then kill it
  if (signal.aborted) throw new InterruptedError(`${stoppedBy(signal)}: ${file} ${args[0] ?? ''} was not started`);
  const child = execa(file, args, {
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    timeout: opts.timeoutMs,
    cancelSignal: signal,
    env: opts.env,
    cwd: opts.cwd,
    reject: false,
    stripFinalNewline: false,
    forceKillAfterDelay: opts.killAfterMs ?? 5_000,
    lines: false,
  });
  if (opts.onLine) {
    const split = (stream: 'stdout' | 'stderr') => {
      let buf = '';
      child[stream]?.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          opts.onLine?.(buf.slice(0, nl), stream);
          buf = buf.slice(nl + 1);
        }
      });
    };
    split('stdout');
    split('stderr');
  }
  const r = await child;
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  if (r.isCanceled || signal.aborted) throw new InterruptedError(`${stoppedBy(signal)}: ${file} ${args[0] ?? ''} was stopped`);
  if (r.failed && (r.code === 'ENOENT' || /ENOENT/.test(String(r.message)))) {
    throw new CommandError(`${file} not found on PATH`, file.endsWith('helm') ? 'install helm 3.8+ (https://helm.sh/docs/intro/install/)' : file.endsWith('kubectl') ? 'install kubectl (https://kubernetes.io/docs/tasks/tools/)' : `install ${file}`);
  }
  if (r.timedOut) {
    throw new CommandError(`\`${shown}\` timed out after ${Math.round((opts.timeoutMs ?? 0) / 1000)}s`, 'raise --timeout, or look at `jitsi-k8s status`', tail(stderr));
  }
  const exitCode = r.exitCode ?? 1;
  if (exitCode !== 0) {
    const hint = HINTS.find((h) => h.test.test(stderr))?.hint(file);
    throw new CommandError(`\`${shown}\` failed (exit ${exitCode}):\n${tail(stderr || stdout)}`, hint, stderr);
  }
  return { stdout, stderr, exitCode };
}
