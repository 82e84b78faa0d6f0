/** `render` writes its output folder (the output room): config + secrets in, pure render, files out atomically. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureSecrets, loadCapacityProfileFile, loadConfig, secretsPathFor, updateFileAtomic } from '../config/file.js';
import { secretNeeds } from '../config/secrets-env.js';
import { formatIssue } from '../config/validate.js';
import { renderRelease, type Release } from '../render/index.js';

export interface RenderOutput {
  files: string[];
  notes: string[];
  warnings: string[];
  /** set when --out - */
  stdout?: string;
  release: Release;
}

/** Everything that is not secret, as one multi-document YAML stream. */
export function releaseToStream(release: Release): string {
  const docs = [`# values.yaml for ${release.chart.name} ${release.chart.version}\n${release.valuesYaml}`];
  docs.push(`# jvb-drain.patch.yaml: the post-renderer's patches of the JVB Deployments\n${release.postRender.yaml}`);
  // the Newt Secret is a helm template filled with the secrets at apply time: shown as such
  for (const m of release.extras?.manifests ?? [])
    docs.push(`# extras: ${m.kind} ${m.name}${m.helmTemplate ? ' (helm template: values from the secrets file)' : ''}\n${m.yaml}`);
  return docs.join('---\n');
}

export function runRender(input: { configPath: string; out: string }): RenderOutput {
  const { config, warnings } = loadConfig(input.configPath);
  const secrets = ensureSecrets(secretsPathFor(input.configPath), {}, secretNeeds(config));
  const capacity = config.expect?.profile ? loadCapacityProfileFile(config.expect.profile, input.configPath) : undefined;
  const release = renderRelease(config, secrets, { capacity });
  const warningTexts = warnings.map(formatIssue);
  if (input.out === '-') {
    return { files: [], notes: release.notes, warnings: warningTexts, stdout: releaseToStream(release), release };
  }
  const files: string[] = [];
  const write = (rel: string, content: string, mode?: number) => {
    const path = join(input.out, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    updateFileAtomic(path, content, mode);
    files.push(path);
  };
  mkdirSync(input.out, { recursive: true });
  write('values.yaml', release.valuesYaml);
  write('secrets.values.yaml', release.secretValuesYaml, 0o600);
  write('jvb-drain.patch.yaml', release.postRender.yaml);
  if (release.extras) {
    for (const [rel, content] of Object.entries(release.extras.files)) write(join('extras', rel), content);
    if (Object.keys(release.extras.secretValues).length > 0) {
      write('extras-secrets.values.yaml', `# secrets for the extras chart: keep private\n${stringify(release.extras.secretValues)}`, 0o600);
    }
  }
  for (const [rel, content] of Object.entries(release.data?.files ?? {})) write(join('data', rel), content);
  write('NOTES.md', `# ${release.release}: what this render means\n\n${release.notes.map((n) => `- ${n}`).join('\n')}\n`);
  return { files, notes: release.notes, warnings: warningTexts, release };
}
