/** Load and save jitsi-k8s.yaml and the 0600 secrets file beside it. Writes are atomic (temp + fsync + rename). */
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { dirname, join, basename, isAbsolute } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { CommandError, UsageError } from '../errors.js';
import { configSchema, secretsSchema, type Config, type Secrets } from './schema.js';
import { validateConfig, type Validated } from './validate.js';
import { parseCapacityProfile, type CapacityProfile } from './capacity-profile.js';

export const DEFAULT_CONFIG_FILE = 'jitsi-k8s.yaml';

/** A config or secrets file is a few KiB; anything near this is not one. */
export const MAX_YAML_FILE_BYTES = 1024 * 1024;
/** Aliases a hand-written config may use; past this the file is an alias bomb ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Reads a YAML file into plain data. Every way a file can be wrong is a UsageError naming the file and the problem. */
export function readYamlFile(path: string): unknown {
  const hint = 'pass --config with a jitsi-k8s.yaml file (README.md "Configuration")';
  let bytes: Buffer;
  try {
    // stat first: reading a FIFO would block, reading a huge file would fill memory
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`${path}: is ${kindOf(st)}, not a YAML file`, hint);
    if (st.size > MAX_YAML_FILE_BYTES)
      throw new UsageError(
        `${path}: ${(st.size / 1024 / 1024).toFixed(1)} MiB is too large for a config file (at most ${MAX_YAML_FILE_BYTES / 1024 / 1024} MiB)`,
        hint,
      );
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file`, 'run `jitsi-k8s init` to create one, or pass --config FILE');
    if (code === 'EACCES') throw new UsageError(`${path}: permission denied`, `check the file's owner and mode (ls -l ${path})`);
    throw new CommandError(`${path}: cannot read (${code ?? String(e)})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = new TextDecoder('utf-8').decode(bytes).split('\uFFFD')[0]!.split('\n').length;
    throw new UsageError(`${path}:${line}: not UTF-8 text (invalid byte sequence)`, 'save the file as UTF-8');
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    const unfinished = text.length > 0 && !text.endsWith('\n') ? ' — the file ends mid-line: it looks half-written' : '';
    throw new UsageError(
      `${path}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}${unfinished}`,
      unfinished ? 'restore the file from a copy, or fix it by hand at that line' : 'fix the YAML syntax at that line',
    );
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (e) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount (resource exhaustion)
    throw new UsageError(
      `${path}: YAML aliases expand too far (${(e as Error).message.split('\n')[0]})`,
      `write the values out; at most ${MAX_ALIAS_COUNT} alias expansions are allowed`,
    );
  }
}

export function loadConfig(path: string): Validated {
  refuseCutShort(path);
  return validateConfig(readYamlFile(path), path);
}

/** Temp files this process made: with the pid, a name no other process uses. */
let tempFiles = 0;

/** A new temp file beside path, opened exclusively: never one (or a link) that is already there. */
function openTemp(path: string, mode: number): { tmp: string; fd: number } {
  for (let tries = 1; ; tries++) {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempFiles}.tmp`);
    try {
      return { tmp, fd: openSync(tmp, 'wx', mode) };
    } catch (e) {
      // left by a crashed process that had this pid: take the next name
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries === 100) throw e;
    }
  }
}

/**
 * A file of ours that a killed write left empty or cut short. Our writers (writeFileAtomic) never leave
 * one — the temp file is renamed only once it is whole and on disk — but a copy, an editor or an older
 * jitsi-k8s may have. Says what is wrong, or undefined.
 */
function refuseCutShort(path: string): void {
  const name = basename(path);
  let text: string;
  try {
    // a FIFO would block, a huge file is not ours: readYamlFile says what is wrong with those
    const st = statSync(path);
    if (!st.isFile() || st.size > MAX_YAML_FILE_BYTES) return;
    text = readFileSync(path, 'utf8');
  } catch {
    // readYamlFile says what is wrong with it
    return;
  }
  if (text.trim() !== '') return;
  const temps = tempFilesOf(path);
  throw new UsageError(
    `${path}: is empty${temps.length ? ` and ${temps.length} unfinished write${temps.length > 1 ? 's' : ''} of it (${temps.join(', ')}) lie beside it` : ''}: a write of ${name} was cut short`,
    'restore the file from a copy (or `git checkout` it), or move it away: `jitsi-k8s init` writes a new config; a new secrets file means new passwords (re-apply)',
  );
}

/** The temp files a killed writer left beside path (`.<name>.<pid>.<n>.tmp`); the file itself is whole. */
export function tempFilesOf(path: string): string[] {
  const prefix = `.${basename(path)}.`;
  try {
    return readdirSync(dirname(path))
      .filter((f) => f.startsWith(prefix) && /^\.\S+\.\d+\.\d+\.tmp$/.test(f))
      .sort();
  } catch {
    return [];
  }
}

/** Removes the temp files a killed writer left beside path (never this process's own); returns their names. */
export function removeStaleTempFiles(path: string): string[] {
  const gone: string[] = [];
  for (const f of tempFilesOf(path)) {
    const pid = Number(f.slice(basename(path).length + 2).split('.')[0]);
    if (pid === process.pid) continue;
    try {
      // a writer still alive is mid-write: leave its file
      process.kill(pid, 0);
      continue;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') continue;
    }
    try {
      unlinkSync(join(dirname(path), f));
      gone.push(f);
    } catch {
      // another run removed it first
    }
  }
  return gone;
}

/**
 * Writes a file atomically: a temp file in the same folder, created with the final mode (a secrets file
 * is 0600 from its first byte), written, flushed to disk, then renamed over the old one. A kill, a crash
 * or a full disk leaves the old file whole or the new one whole, never half of one.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): void {
  let tmp: string | undefined;
  try {
    const temp = openTemp(path, mode);
    tmp = temp.tmp;
    try {
      // the mode open() applied is masked by the umask: set it before the first byte
      fchmodSync(temp.fd, mode);
      writeFileSync(temp.fd, content);
      fsyncSync(temp.fd);
    } finally {
      closeSync(temp.fd);
    }
    renameSync(tmp, path);
    syncFolder(dirname(path));
  } catch (e) {
    if (tmp !== undefined && existsSync(tmp)) unlinkSync(tmp);
    throw new CommandError(`cannot write ${path}: ${(e as Error).message}`, 'check the folder exists and is writable');
  }
}

/** The rename itself reaches the disk (best effort: some file systems refuse to open a folder for sync). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here: the rename is still atomic, only its durability after a power cut is not promised
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * writeFileAtomic, unless path already is a regular file with this content and mode: a render of an unchanged
 * config leaves its files (and their times) alone, and replacing a file costs ext4 a flush of it.
 * Returns whether it wrote.
 */
export function updateFileAtomic(path: string, content: string, mode = 0o644): boolean {
  try {
    const st = lstatSync(path);
    if (st.isFile() && (st.mode & 0o777) === mode && st.size === Buffer.byteLength(content) && readFileSync(path, 'utf8') === content) return false;
  } catch {
    // not there (or not readable): write it
  }
  writeFileAtomic(path, content, mode);
  return true;
}

const CONFIG_HEADER = `# jitsi-k8s configuration — edit, then \`jitsi-k8s apply\`.
# Format: README.md ("Configuration"); editor completion: schema/jitsi-k8s.schema.json
`;

/** Saves only what differs from nothing: the config as the user would write it (defaults included, so it is explicit). */
export function saveConfig(path: string, config: Config): void {
  // re-parse: never write something we could not read back
  configSchema.parse(config);
  writeFileAtomic(path, `${CONFIG_HEADER}${stringify(config, { lineWidth: 0 })}`);
}

export function secretsPathFor(configPath: string): string {
  const base = basename(configPath).replace(/\.ya?ml$/, '');
  return join(dirname(configPath), `${base}.secrets.yaml`);
}

// node:crypto loads only to make passwords (a first run): loading it costs every render several milliseconds
const password = () => process.getBuiltinModule('node:crypto').randomBytes(24).toString('base64url');

export function generateSecrets(extra: Partial<Pick<Secrets, 'tailscale' | 'newt'>> = {}): Secrets {
  return secretsSchema.parse({
    xmpp: { jicofo: password(), jvb: password(), jibri: password(), recorder: password(), jigasi: password(), transcriber: password() },
    turnSecret: password(),
    ...extra,
  });
}

/** Reads the secrets file; refuses one that others can read. */
export function loadSecrets(path: string): Secrets | undefined {
  if (!existsSync(path)) return undefined;
  const mode = statSync(path).mode & 0o077;
  if (mode !== 0) {
    throw new UsageError(`${path} can be read by other users (mode ${(statSync(path).mode & 0o777).toString(8)})`, `chmod 600 ${path}`);
  }
  refuseCutShort(path);
  const parsed = secretsSchema.safeParse(readYamlFile(path));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new UsageError(
      `${path}: ${i.path.join('.')}: ${i.message}`,
      'fix the file, or move it away to generate new passwords (running meetings then need a re-apply)',
    );
  }
  return parsed.data;
}

/** Secrets a config needs beyond the internal passwords. */
export interface SecretNeeds {
  /** jwt mode: the app secret (JWT_APP_SECRET from the environment on first use, else generated) */
  jwt?: { given?: string };
}

// 32 random bytes: the HS256 key tokens are signed with
const jwtAppSecret = () => process.getBuiltinModule('node:crypto').randomBytes(32).toString('base64url');

/** Secrets are generated once, then read: passwords stay stable across applies. */
export function ensureSecrets(path: string, extra: Partial<Pick<Secrets, 'tailscale' | 'newt'>> = {}, needs: SecretNeeds = {}): Secrets {
  const existing = loadSecrets(path);
  let secrets: Secrets;
  let changed = false;
  if (existing) {
    secrets = { ...existing, ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)) };
    changed = Boolean(extra.tailscale || extra.newt);
  } else {
    secrets = generateSecrets(extra);
    changed = true;
  }
  if (needs.jwt && !secrets.jwt) {
    secrets = secretsSchema.parse({ ...secrets, jwt: { appSecret: needs.jwt.given ?? jwtAppSecret() } });
    changed = true;
  }
  if (changed) saveSecrets(path, secrets);
  return secrets;
}

export function saveSecrets(path: string, secrets: Secrets): void {
  writeFileAtomic(path, `# jitsi-k8s secrets — keep private (mode 0600), never commit.\n${stringify(secrets)}`, 0o600);
}

/** A capacity profile file (expect.profile), relative to the config file's folder. */
export function loadCapacityProfileFile(path: string, configPath: string): { profile: CapacityProfile; source: string } {
  const file = isAbsolute(path) ? path : join(dirname(configPath), path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CommandError(
      `expect.profile: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'give the capacity.json of a `jitsi-k8s bench --find-capacity` run, or remove expect.profile to use the estimate',
    );
  }
  try {
    return { profile: parseCapacityProfile(JSON.parse(text), file), source: file };
  } catch (e) {
    throw new CommandError(
      `expect.profile: ${file} is not a capacity profile (${(e as Error).message})`,
      'give the capacity.json of a `jitsi-k8s bench --find-capacity` run',
    );
  }
}
