/** helm and kubectl: find them, check their versions, and the flags that differ between helm 3 and 4. */
import { CommandError } from '../errors.js';
import { run } from './exec.js';

export interface ToolInfo {
  bin: string;
  version: string;
  major: number;
  minor: number;
}

export const MIN_HELM = { major: 3, minor: 8 } as const;

export function parseVersion(text: string): { version: string; major: number; minor: number } | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  return { version: `${m[1]}.${m[2]}.${m[3]}`, major: Number(m[1]), minor: Number(m[2]) };
}

/** The helm binary: $JITSI_K8S_HELM, else `helm` on PATH. */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.JITSI_K8S_HELM || 'helm';
}

export function kubectlBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.JITSI_K8S_KUBECTL || 'kubectl';
}

export async function detectHelm(bin = helmBinary(), signal?: AbortSignal): Promise<ToolInfo> {
  const out = await run(bin, ['version', '--template', '{{.Version}}'], { timeoutMs: 20_000, signal });
  const v = parseVersion(out.stdout);
  if (!v) throw new CommandError(`cannot read the helm version from "${out.stdout.trim()}"`, 'install helm 3.8+ (https://helm.sh/docs/intro/install/)');
  if (v.major < MIN_HELM.major || (v.major === MIN_HELM.major && v.minor < MIN_HELM.minor)) {
    throw new CommandError(`helm ${v.version} is too old: jitsi-k8s needs ${MIN_HELM.major}.${MIN_HELM.minor} or newer`, 'upgrade helm (https://helm.sh/docs/intro/install/)');
  }
  return { bin, ...v };
}

export async function detectKubectl(bin = kubectlBinary()): Promise<ToolInfo> {
  const out = await run(bin, ['version', '--client', '-o', 'json'], { timeoutMs: 20_000 });
  let text = out.stdout;
  try {
    text = (JSON.parse(out.stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? text;
  } catch {
    // older kubectl prints text; parseVersion copes
  }
  const v = parseVersion(text);
  if (!v) throw new CommandError('cannot read the kubectl version', 'install kubectl (https://kubernetes.io/docs/tasks/tools/)');
  return { bin, ...v };
}

/** Install/upgrade flags that make a failed upgrade roll back: `--atomic` on helm 3, `--rollback-on-failure` on helm 4. */
export function rollbackFlags(helm: Pick<ToolInfo, 'major'>, timeout: string): string[] {
  return helm.major >= 4
    ? ['--rollback-on-failure', '--wait=watcher', '--timeout', timeout]
    : ['--atomic', '--wait', '--timeout', timeout];
}

/** `--kube-context` for helm, `--context` for kubectl, only when the config names one. */
export function contextFlags(tool: 'helm' | 'kubectl', context: string | undefined): string[] {
  if (!context) return [];
  return tool === 'helm' ? ['--kube-context', context] : ['--context', context];
}
