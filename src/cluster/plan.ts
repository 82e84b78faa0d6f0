/**
 * Pure plans: Release → the ordered steps apply (or uninstall) will run. `--dry-run` prints these
 * very steps; the real run executes the same list. Secrets travel only in `stdin`.
 */
import { stringify } from 'yaml';
import type { PostRender } from '../render/drain.js';
import { fullValues, redact, type Release } from '../render/index.js';
import { mergeValues, type Values } from '../render/values.js';
import { contextFlags, rollbackFlags, type ToolInfo } from './helm.js';

/** Placeholder in argv for the temp folder the extras chart is written to at run time. */
export const CHART_DIR = '<extras-chart-dir>';

/** Placeholder in argv for the temp folder the post-renderer (wrapper, helm 4 plugin, patches) is written to at run time. */
export const POST_RENDERER_DIR = '<post-renderer-dir>';

/** helm leaves an object with this annotation (value `keep`) in place on uninstall and upgrade. */
export const KEEP_POLICY = 'helm.sh/resource-policy';

export interface Step {
  id: string;
  title: string;
  tool: 'helm' | 'kubectl' | 'jitsi-k8s';
  /** argv after the binary; never holds a secret */
  args: string[];
  /** fed to the child's stdin (values with secrets) */
  stdin?: string;
  /** what --dry-run shows instead of stdin */
  stdinShown?: string;
  /** files of a chart to write to CHART_DIR before running */
  chartFiles?: Record<string, string>;
  /** helm's post-renderer: its name and the patches it applies, written to POST_RENDERER_DIR before running */
  postRenderer?: { name: string; patches: string };
  /** environment for the tool (placeholders as in args) */
  env?: Record<string, string>;
  /** a failure whose stderr matches this counts as done (e.g. "release: not found" on uninstall) */
  okWhen?: RegExp;
  /** skip the upgrade when the installed release already has exactly these values and this chart version */
  unchangedCheck?: { release: string; namespace: string; values: Values; chartVersion?: string };
  /** jitsi-k8s steps (no subprocess): run by the apply runner */
  action?: { kind: 'advertise-address'; service?: string; ingress?: string } | { kind: 'wait-bridges'; bridges: number; release: string };
}

export interface PlanOptions {
  helm: Pick<ToolInfo, 'major'>;
  context?: string;
  /** helm --timeout for the main release, e.g. "15m" */
  timeout: string;
  /** a local copy of the jitsi-meet chart (folder or .tgz) instead of the repository, e.g. air-gapped */
  chart?: string;
}

/** stdin for helm: public values with the secrets layered on; what --dry-run shows has the secrets redacted. */
function valuesStdin(publicValues: Values, secretValues: Values): { stdin: string; stdinShown: string } {
  return {
    stdin: stringify(mergeValues(publicValues, secretValues)),
    stdinShown: stringify(mergeValues(publicValues, redact(secretValues)), { lineWidth: 0 }),
  };
}

/**
 * The post-renderer flags: helm 3 runs an executable by path, helm 4 only a plugin of type
 * postrenderer/v1 by name, which it finds through HELM_PLUGINS (a folder of ours for this call alone).
 */
export function postRendererFlags(helm: Pick<ToolInfo, 'major'>, postRender: PostRender): Pick<Step, 'args' | 'env' | 'postRenderer'> {
  const patches = `${POST_RENDERER_DIR}/${PATCHES_FILE}`;
  const postRenderer = { name: postRender.name, patches: postRender.yaml };
  return helm.major >= 4
    ? { args: ['--post-renderer', postRender.name, '--post-renderer-args', patches], env: { HELM_PLUGINS: `${POST_RENDERER_DIR}/plugins` }, postRenderer }
    : { args: ['--post-renderer', `${POST_RENDERER_DIR}/${postRender.name}`, '--post-renderer-args', patches], postRenderer };
}

/** The patches file in POST_RENDERER_DIR (the same name `render` writes). */
export const PATCHES_FILE = 'jvb-drain.patch.yaml';

/** The main release's helm step (also used again after the advertised address is known). */
export function mainReleaseStep(release: Release, opts: PlanOptions): Step {
  const values = fullValues(release);
  const post = postRendererFlags(opts.helm, release.postRender);
  return {
    id: 'jitsi-meet',
    title: `helm upgrade --install ${release.release} (chart ${release.chart.name} ${release.chart.version}${opts.chart ? ` from ${opts.chart}` : ''})`,
    tool: 'helm',
    args: [
      'upgrade',
      '--install',
      release.release,
      ...(opts.chart ? [opts.chart] : [release.chart.name, '--repo', release.chart.repo, '--version', release.chart.version]),
      '--namespace',
      release.namespace,
      '--create-namespace',
      ...rollbackFlags(opts.helm, opts.timeout),
      ...contextFlags('helm', opts.context),
      ...post.args,
      '--values',
      '-',
    ],
    ...(post.env ? { env: post.env } : {}),
    postRenderer: post.postRenderer,
    ...valuesStdin(release.values, release.secretValues),
    // the post-renderer's patches are in the values too (a pod annotation of the bridges): a change of them is a change of values
    unchangedCheck: { release: release.release, namespace: release.namespace, values, chartVersion: release.chart.version },
  };
}

/**
 * The recording/transcript claims go first: jitsi-meet's jibri and transcriber pods mount them. Claims an
 * earlier jitsi-k8s left to the jitsi-meet release (which would delete them) pass to the data release first.
 */
function dataSteps(release: Release, opts: PlanOptions): Step[] {
  const data = release.data;
  if (!data) return [];
  const names = data.values.claims.map((c) => c.name);
  return [
    {
      id: 'claims-adopt',
      title: `give ${names.join(', ')} to release ${data.release} with a keep policy, if release ${release.release} still owns them`,
      tool: 'kubectl',
      // helm takes over an object whose owner annotations name the release; the keep policy guards it meanwhile
      args: [
        'annotate',
        'persistentvolumeclaims',
        '--namespace',
        release.namespace,
        '--selector',
        `app.kubernetes.io/instance=${release.release},app.kubernetes.io/component in (jibri,transcriber)`,
        '--overwrite',
        `meta.helm.sh/release-name=${data.release}`,
        `meta.helm.sh/release-namespace=${release.namespace}`,
        `${KEEP_POLICY}=keep`,
        ...contextFlags('kubectl', opts.context),
      ],
    },
    {
      id: 'data',
      title: `helm upgrade --install ${data.release} (PersistentVolumeClaim ${names.join(', ')}; kept on uninstall)`,
      tool: 'helm',
      // no --wait: a claim of a WaitForFirstConsumer class binds only once the jitsi-meet release's pod uses it
      args: ['upgrade', '--install', data.release, CHART_DIR, '--namespace', release.namespace, '--create-namespace', '--timeout', '5m', ...contextFlags('helm', opts.context), '--values', '-'],
      ...valuesStdin(data.values as unknown as Values, {}),
      chartFiles: data.files,
      unchangedCheck: { release: data.release, namespace: release.namespace, values: data.values as unknown as Values },
    },
  ];
}

/** needs: the JVB Service whose LB address the bridges advertise, the web Ingress whose tailnet name becomes publicURL */
export function planApply(release: Release, opts: PlanOptions, needs: { advertiseFrom?: string; publicHostFrom?: string } = {}): Step[] {
  const steps: Step[] = [];
  for (const dep of release.dependencies) {
    const values = mergeValues(dep.values, dep.secretValues);
    steps.push({
      id: `dep-${dep.release}`,
      title: `helm upgrade --install ${dep.release} (${dep.description})`,
      tool: 'helm',
      args: [
        'upgrade',
        '--install',
        dep.release,
        dep.chart,
        '--repo',
        dep.repo,
        ...(dep.version ? ['--version', dep.version] : []),
        '--namespace',
        dep.namespace,
        '--create-namespace',
        ...rollbackFlags(opts.helm, '5m'),
        ...contextFlags('helm', opts.context),
        '--values',
        '-',
      ],
      ...valuesStdin(dep.values, dep.secretValues),
      unchangedCheck: { release: dep.release, namespace: dep.namespace, values, chartVersion: dep.version },
    });
  }
  steps.push(...dataSteps(release, opts));
  steps.push(mainReleaseStep(release, opts));
  if (needs.advertiseFrom || needs.publicHostFrom) {
    const reads = [
      needs.advertiseFrom && `the address of Service ${needs.advertiseFrom} (advertised from the bridges)`,
      needs.publicHostFrom && `the tailnet name of Ingress ${needs.publicHostFrom} (the public URL)`,
    ].filter(Boolean);
    steps.push({
      id: 'advertise',
      title: `read ${reads.join(' and ')}, then render again`,
      tool: 'jitsi-k8s',
      args: [],
      action: { kind: 'advertise-address', service: needs.advertiseFrom, ingress: needs.publicHostFrom },
    });
  }
  const extrasRelease = `${release.release}-extras`;
  if (release.extras) {
    const values = release.extras.secretValues;
    steps.push({
      id: 'extras',
      title: `helm upgrade --install ${extrasRelease} (${release.extras.manifests.map((m) => `${m.kind} ${m.name}`).join(', ')})`,
      tool: 'helm',
      args: [
        'upgrade',
        '--install',
        extrasRelease,
        CHART_DIR,
        '--namespace',
        release.namespace,
        ...rollbackFlags(opts.helm, '5m'),
        ...contextFlags('helm', opts.context),
        '--values',
        '-',
      ],
      ...valuesStdin({}, values),
      chartFiles: release.extras.files,
      // the manifests are in the chart, not the values: its version carries their digest
      unchangedCheck: { release: extrasRelease, namespace: release.namespace, values, chartVersion: release.extras.version },
    });
  } else {
    steps.push({
      id: 'extras-remove',
      title: `remove ${extrasRelease} if an earlier apply installed it (no extra manifests needed now)`,
      tool: 'helm',
      args: ['uninstall', extrasRelease, '--namespace', release.namespace, ...contextFlags('helm', opts.context)],
      okWhen: /not found/i,
    });
  }
  steps.push({
    id: 'wait-bridges',
    title: `wait until ${release.sizing.components.find((c) => c.component === 'jvb')?.replicas ?? 1} bridge(s) are ready and answer /colibri/stats`,
    tool: 'jitsi-k8s',
    args: [],
    action: { kind: 'wait-bridges', bridges: release.sizing.components.find((c) => c.component === 'jvb')?.replicas ?? 1, release: release.release },
  });
  return steps;
}

export interface UninstallOptions {
  context?: string;
  deleteData: boolean;
  /** dependency releases jitsi-k8s installed for this config (e.g. the Tailscale operator) */
  dependencies: { release: string; namespace: string }[];
}

export function planUninstall(release: { release: string; namespace: string }, opts: UninstallOptions): Step[] {
  const helmCtx = contextFlags('helm', opts.context);
  const steps: Step[] = [
    {
      id: 'extras',
      title: `helm uninstall ${release.release}-extras`,
      tool: 'helm',
      args: ['uninstall', `${release.release}-extras`, '--namespace', release.namespace, ...helmCtx],
      okWhen: /not found/i,
    },
    {
      id: 'jitsi-meet',
      title: `helm uninstall ${release.release}`,
      tool: 'helm',
      args: ['uninstall', release.release, '--namespace', release.namespace, '--wait', '--timeout', '10m', ...helmCtx],
      okWhen: /not found/i,
    },
  ];
  steps.push({
    id: 'data',
    title: `helm uninstall ${release.release}-data (its recording and transcript claims stay: keep policy)`,
    tool: 'helm',
    args: ['uninstall', `${release.release}-data`, '--namespace', release.namespace, ...helmCtx],
    okWhen: /not found/i,
  });
  for (const dep of opts.dependencies) {
    steps.push({
      id: `dep-${dep.release}`,
      title: `helm uninstall ${dep.release} (installed by jitsi-k8s for this config)`,
      tool: 'helm',
      args: ['uninstall', dep.release, '--namespace', dep.namespace, '--wait', ...helmCtx],
      okWhen: /not found/i,
    });
  }
  if (opts.deleteData) {
    steps.push({
      id: 'pvcs',
      title: `delete the PersistentVolumeClaims of ${release.release} (recordings, transcripts, prosody data)`,
      tool: 'kubectl',
      args: [
        'delete',
        'persistentvolumeclaims',
        '--namespace',
        release.namespace,
        '--selector',
        `app.kubernetes.io/instance=${release.release}`,
        '--ignore-not-found',
        '--wait=true',
        ...contextFlags('kubectl', opts.context),
      ],
    });
  }
  return steps;
}

/** Human form of a plan for --dry-run: one block per step, stdin shown with secrets redacted. */
export function formatPlan(steps: Step[], bins: { helm: string; kubectl: string }): string {
  return steps
    .map((s, i) => {
      const bin = s.tool === 'helm' ? bins.helm : s.tool === 'kubectl' ? bins.kubectl : '(jitsi-k8s)';
      const lines = [`# ${i + 1}. ${s.title}`];
      const env = Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)} `).join('');
      if (s.tool !== 'jitsi-k8s') lines.push(`${env}${bin} ${s.args.map(shellQuote).join(' ')}${s.stdinShown !== undefined ? ' <<EOF' : ''}`);
      if (s.chartFiles) lines.push(`#    ${CHART_DIR} holds: ${Object.keys(s.chartFiles).join(', ')}`);
      if (s.stdinShown !== undefined) lines.push(s.stdinShown.trimEnd(), 'EOF');
      if (s.postRenderer) {
        lines.push(
          `#    ${POST_RENDERER_DIR} holds ${s.postRenderer.name} (runs jitsi-k8s's dist/post-render.mjs${s.env?.HELM_PLUGINS ? '; as a helm 4 postrenderer/v1 plugin in plugins/' : ''}) and ${PATCHES_FILE}:`,
          ...s.postRenderer.patches.trimEnd().split('\n').map((l) => `#      ${l}`),
        );
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./<>-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
