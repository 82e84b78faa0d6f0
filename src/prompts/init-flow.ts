/**
 * `jitsi-k8s init` up to the files: flags + --config + cluster facts → wizard (or no questions)
 * → validateConfig → summary → confirmation → jitsi-k8s.yaml + the 0600 secrets file.
 * Everything is asked before anything is written; a cancelled prompt writes nothing.
 */
import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { DEFAULT_CONFIG_FILE, ensureSecrets, loadSecrets, readYamlFile, saveConfig, secretsPathFor } from '../config/file.js';
import { configSchema, type Config, type Secrets } from '../config/schema.js';
import { secretNeeds } from '../config/secrets-env.js';
import { formatIssue, validateConfig } from '../config/validate.js';
import type { FactsResult, KubeContexts } from '../cluster/facts.js';
import { flagsToConfig, secretsFromEnv, type AnswerFlags, type ConfigDraft } from './flags.js';
import type { Prompter } from './prompter.js';
import { formatSummary } from './summary.js';
import { runWizard } from './wizard.js';

export interface InitOptions extends AnswerFlags {
  /** --config: pre-fill from this file */
  config?: string;
  /** --out: where to write (default: --config, else jitsi-k8s.yaml) */
  out?: string;
  force?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

export interface InitDeps {
  env: NodeJS.ProcessEnv;
  /** stdin is a terminal */
  isTTY: boolean;
  /** a line for the person (stderr) */
  say: (line: string) => void;
  /** the prompter when interactive (default: @inquirer on the terminal) */
  prompter?: Prompter;
  /** style of the explanation lines of the default prompter */
  noteStyle?: (text: string) => string;
  readContexts?: (env: NodeJS.ProcessEnv) => Promise<KubeContexts | undefined>;
  readFacts?: (context: string | undefined, env: NodeJS.ProcessEnv) => Promise<FactsResult>;
}

export type InitOutcome =
  | { kind: 'dry-run'; yaml: string; config: Config }
  | { kind: 'written'; configPath: string; secretsPath: string; config: Config; secrets: Secrets }
  | { kind: 'declined' };

/** `--yes`, `CI` or a stdin that is not a terminal: ask nothing. */
export function isInteractive(opts: { yes?: boolean }, isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
  return !opts.yes && isTTY && !ci;
}

/** The --config file as a draft: types are checked now (errors name the path); completeness after the wizard. */
export function readDraft(path: string): ConfigDraft {
  const raw = readYamlFile(path);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${path}: not a jitsi-k8s config (expected a mapping)`);
  const parsed = configSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.filter((i) => !(i.path.length === 1 && i.path[0] === 'domain' && (raw as { domain?: unknown }).domain === undefined));
  if (problems.length > 0) {
    const lines = problems.map((i) => `  ${formatIssue({ path: i.path.map(String).join('.'), message: i.message, severity: 'error' })}`).join('\n');
    throw new UsageError(`${path} is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines}`, 'fix the file, or start without --config');
  }
  return raw as ConfigDraft;
}

export function configYaml(config: Config): string {
  return stringify(config, { lineWidth: 0 });
}

export async function runInit(opts: InitOptions, deps: InitDeps): Promise<InitOutcome> {
  const flags = flagsToConfig(opts);
  const file: ConfigDraft = opts.config ? readDraft(opts.config) : {};
  const configPath = opts.out ?? opts.config ?? DEFAULT_CONFIG_FILE;
  const secretsPath = secretsPathFor(configPath);
  const interactive = isInteractive(opts, deps.isTTY, deps.env);
  // @inquirer is loaded only when something will be asked
  const p = interactive ? (deps.prompter ?? (await import('./prompter.js')).inquirerPrompter({ noteStyle: deps.noteStyle })) : undefined;
  const env = deps.env;
  const envSecrets = secretsFromEnv(env);
  if (envSecrets.tailscalePartial) throw new UsageError('set both TS_OAUTH_CLIENT_ID and TS_OAUTH_CLIENT_SECRET, or neither');
  if (envSecrets.newtPartial) throw new UsageError('set both NEWT_ID and NEWT_SECRET, or neither');
  const saved = loadSecrets(secretsPath);

  const readContexts = deps.readContexts ?? (async (e) => (await import('../cluster/facts.js')).readKubeContexts(e));
  const readFacts = deps.readFacts ?? (async (context, e) => (await import('../cluster/facts.js')).readClusterFacts({ context, env: e }));
  const kube = await readContexts(env);

  const ask = (draft: ConfigDraft, answerFlags: typeof flags) =>
    runWizard({
      flags: answerFlags,
      file: draft,
      envSecrets: { tailscale: envSecrets.tailscale, newt: envSecrets.newt },
      savedSecrets: saved ? { tailscale: saved.tailscale, newt: saved.newt } : undefined,
      kube,
      loadFacts: (context) => readFacts(context, env),
      prompter: p,
      say: deps.say,
    });
  let answers = await ask(file, flags);
  let validated: ReturnType<typeof validateConfig>;
  for (;;) {
    try {
      validated = validateConfig(answers.config, interactive ? 'your answers' : 'the flags and config file');
      break;
    } catch (e) {
      if (!p || !(e instanceof UsageError)) throw e;
      // a rule across answers failed: go round again with every answer (flags included) as the default
      deps.say(`${e.message}`);
      if (!(await p.confirm({ name: 'retry', message: 'Go through the questions again (your answers are the defaults)?', default: true }))) throw e;
      answers = await ask(answers.config as ConfigDraft, { draft: {}, bitrates: {} });
    }
  }
  const { config, warnings } = validated;
  const vpnNames = [
    answers.secrets.tailscale ? 'Tailscale OAuth client' : '',
    answers.secrets.newt ? 'Newt credentials' : '',
    config.auth.mode === 'jwt' ? `JWT app secret${env.JWT_APP_SECRET ? ' (from JWT_APP_SECRET)' : ''}` : '',
  ].filter(Boolean);
  for (const line of formatSummary({ config, warnings, facts: answers.facts, configPath, secretsPath, vpnSecrets: vpnNames })) deps.say(line);

  if (opts.dryRun) return { kind: 'dry-run', yaml: configYaml(config), config };

  if (p && !(await p.confirm({ name: 'confirm', message: `Write ${configPath} and install?`, default: true }))) return { kind: 'declined' };

  // editing the --config file in place is the point of `init --config X`; any other existing file needs a yes
  if (existsSync(configPath) && configPath !== opts.config && !opts.force) {
    let same = false;
    try {
      same = isDeepStrictEqual(readYamlFile(configPath), JSON.parse(JSON.stringify(config)));
    } catch {
      same = false;
    }
    if (!same) {
      if (!p) throw new UsageError(`${configPath} exists and differs from these answers`, 'pass --force to overwrite it, or --out FILE to write elsewhere');
      if (!(await p.confirm({ name: 'overwrite', message: `${configPath} exists and differs. Overwrite it?`, default: false }))) return { kind: 'declined' };
    }
  }

  saveConfig(configPath, config);
  const secrets = ensureSecrets(secretsPath, answers.secrets, secretNeeds(config, env));
  return { kind: 'written', configPath, secretsPath, config, secrets };
}
