/**
 * From what the user typed (flags, a scenario preset file, jitsi-k8s.yaml) to a validated
 * Scenario. Precedence: flags > preset > config file > defaults. Errors name the flag.
 */
import type * as z from '../config/zod.js';
import { UsageError } from '../errors.js';
import { parseThresholds } from './results/thresholds.js';
import { scenarioSchema, type Scenario, type ScenarioInput } from './scenario.js';

/** The bench flags, as commander hands them over; a preset file uses the same names. */
export interface BenchOptions {
  target?: string;
  url?: string;
  participants?: string | number;
  rooms?: string | number;
  roomSize?: string | number;
  senders?: string | number;
  audioSenders?: string | number;
  liteReceivers?: string | number;
  lite?: boolean;
  duration?: string | number;
  ramp?: string | number;
  interval?: string | number;
  warmup?: string | number;
  cooldown?: string | number;
  joinTimeout?: string | number;
  video?: string;
  replicas?: string | number | number[];
  perBrowser?: string | number;
  roomPrefix?: string;
  browser?: string;
  out?: string;
  listen?: string;
  /** --threshold (repeatable) / `thresholds:` in a scenario file */
  threshold?: string[];
  thresholds?: string | string[];
  viewport?: string;
  displayName?: string;
  insecure?: boolean;
  /** --find-capacity: climb to the largest load that holds */
  findCapacity?: boolean;
  /** --lookalike-stress: stress per participant of the loopback target's look-alike bridges */
  lookalikeStress?: string | number;
}

const HELP = 'see `jitsi-k8s bench --help`';

/** Where each scenario field comes from on the command line. */
const FLAG_OF: Record<string, string> = {
  target: '--target',
  url: '--url',
  participants: '--participants',
  rooms: '--rooms',
  roomSize: '--room-size',
  senders: '--senders',
  audioSenders: '--audio-senders',
  liteReceivers: '--lite-receivers',
  durationMs: '--duration',
  rampPerSecond: '--ramp',
  sampleIntervalMs: '--interval',
  warmupMs: '--warmup',
  cooldownMs: '--cooldown',
  joinTimeoutMs: '--join-timeout',
  video: '--video',
  replicas: '--replicas',
  participantsPerBrowser: '--per-browser',
  roomPrefix: '--room-prefix',
  browser: '--browser',
  outDir: '--out',
  listen: '--listen',
  viewport: '--viewport',
  displayName: '--display-name',
  insecure: '--insecure',
  findCapacity: '--find-capacity',
  lookalikeStress: '--lookalike-stress',
};

function whole(flag: string, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) throw new UsageError(`${flag}: not a whole number (got "${v}")`, HELP);
  return n;
}

/** "640x360@15" or "1280x720" → the fake camera. */
export function parseVideo(v: string): { width: number; height: number; fps?: number } {
  const m = /^\s*(\d+)x(\d+)(?:@(\d+))?\s*$/.exec(v);
  if (!m) throw new UsageError(`--video: not a size such as 640x360@15 (got "${v}")`, HELP);
  return { width: Number(m[1]), height: Number(m[2]), ...(m[3] ? { fps: Number(m[3]) } : {}) };
}

/** "1280x720" → the page size. */
export function parseViewport(v: string): { width: number; height: number } {
  const m = /^\s*(\d+)x(\d+)\s*$/.exec(v);
  if (!m) throw new UsageError(`--viewport: not a page size such as 1280x720 (got "${v}")`, HELP);
  return { width: Number(m[1]), height: Number(m[2]) };
}

export function parseReplicas(v: string | number | number[]): number[] {
  if (Array.isArray(v)) return v;
  const parts = String(v).split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new UsageError(`--replicas: not a list of bridge counts such as 1,2,4 (got "${v}")`, HELP);
  return parts.map(Number);
}

const PRESET_KEYS = new Set([
  'target', 'url', 'participants', 'rooms', 'roomSize', 'senders', 'audioSenders', 'liteReceivers', 'lite', 'duration', 'ramp', 'interval', 'warmup', 'cooldown',
  'joinTimeout', 'video', 'replicas', 'perBrowser', 'roomPrefix', 'browser', 'out', 'listen', 'thresholds', 'viewport', 'displayName', 'insecure',
  'findCapacity', 'lookalikeStress',
]);

/** Flags replace the scenario file's list (flags > preset); each expression is checked here, so a bad one is exit 2 before any browser starts. */
function thresholdsOf(flags: string[] | undefined, preset: string | string[] | undefined): string[] | undefined {
  if (flags && flags.length) return parseThresholds(flags, '--threshold').thresholds.map((t) => t.expression);
  if (preset === undefined) return undefined;
  const list = Array.isArray(preset) ? preset : [preset];
  if (list.some((t) => typeof t !== 'string')) throw new UsageError('scenario file: thresholds: a list of expressions such as "audio.loss.p95<2%"', HELP);
  return parseThresholds(list, 'scenario file: thresholds').thresholds.map((t) => t.expression);
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export interface Sources {
  flags: BenchOptions;
  preset?: BenchOptions;
  /** domain from jitsi-k8s.yaml */
  configDomain?: string;
  /** default output folder when none is given */
  defaultOut: string;
}

/** Flags over preset over config; the target is jitsi when a site is known, else the user must say. */
export function scenarioInput(src: Sources): ScenarioInput {
  const unknown = Object.keys(src.preset ?? {}).filter((k) => !PRESET_KEYS.has(k));
  if (unknown.length) throw new UsageError(`scenario file: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`, `known keys: ${[...PRESET_KEYS].join(', ')}`);
  // commander sets lite=true by default because of --no-lite: only an explicit --no-lite counts
  const flags = { ...src.flags, lite: src.flags.lite === false ? false : undefined };
  const preset: BenchOptions = { ...src.preset };
  // --rooms and --room-size are one choice: either flag replaces both keys of a preset
  if (flags.rooms !== undefined || flags.roomSize !== undefined) {
    delete preset.rooms;
    delete preset.roomSize;
  }
  const o: BenchOptions = { ...defined(preset), ...defined(flags) };
  const url = o.url ?? (src.configDomain ? `https://${src.configDomain}` : undefined);
  const target = o.target ?? (url ? 'jitsi' : undefined);
  if (!target) {
    throw new UsageError('no Jitsi site to load-test', 'pass --url https://meet.example.com, run where jitsi-k8s.yaml is (or -c FILE), or use --target loopback');
  }
  if (o.rooms !== undefined && o.roomSize !== undefined) throw new UsageError('--rooms and --room-size both say how to split the participants', 'give one of them');
  const video = o.video ? parseVideo(o.video) : undefined;
  const lookalikeStress = o.lookalikeStress === undefined ? undefined : Number(o.lookalikeStress);
  if (lookalikeStress !== undefined && !(lookalikeStress > 0 && lookalikeStress <= 1)) throw new UsageError(`--lookalike-stress: a stress per participant above 0 and at most 1, such as 0.01 (got "${o.lookalikeStress}")`, HELP);
  if (lookalikeStress !== undefined && target !== 'loopback') throw new UsageError('--lookalike-stress sets the look-alike bridges of --target loopback', 'drop it, or add --target loopback');
  // --find-capacity builds its own loads from the room shape: --participants is the most it tries
  const roomSize = whole('--room-size', o.roomSize);
  if (o.findCapacity && o.rooms !== undefined) throw new UsageError('--find-capacity adds whole rooms of --room-size: --rooms does not apply', 'give --room-size (default 10)');
  const input: Record<string, unknown> = {
    target,
    url: target === 'jitsi' ? url : undefined,
    participants: whole('--participants', o.participants) ?? (o.findCapacity ? (roomSize ?? 10) : undefined),
    rooms: whole('--rooms', o.rooms),
    roomSize,
    senders: whole('--senders', o.senders),
    audioSenders: whole('--audio-senders', o.audioSenders),
    liteReceivers: o.lite === false ? 0 : whole('--lite-receivers', o.liteReceivers),
    durationMs: o.duration,
    rampPerSecond: o.ramp,
    sampleIntervalMs: o.interval,
    warmupMs: o.warmup,
    cooldownMs: o.cooldown,
    joinTimeoutMs: o.joinTimeout,
    video,
    replicas: o.replicas !== undefined ? parseReplicas(o.replicas) : undefined,
    participantsPerBrowser: whole('--per-browser', o.perBrowser),
    roomPrefix: o.roomPrefix,
    browser: o.browser,
    outDir: o.out ?? src.defaultOut,
    listen: o.listen,
    thresholds: thresholdsOf(src.flags.threshold, src.preset?.thresholds),
    viewport: o.viewport ? parseViewport(o.viewport) : undefined,
    displayName: o.displayName,
    insecure: o.insecure,
    findCapacity: o.findCapacity ? { ceiling: whole('--participants', o.participants) } : undefined,
    lookalikeStress,
  };
  return defined(input) as ScenarioInput;
}

function describeIssue(i: z.core.$ZodIssue): string {
  const field = String(i.path[0] ?? '');
  const flag = FLAG_OF[field] ?? field;
  const rest = i.path.slice(1).map(String).join('.');
  const got = 'input' in i && i.input !== undefined && i.code !== 'custom' ? ` (got ${JSON.stringify(i.input)})` : '';
  return `${flag}${rest ? `.${rest}` : ''}: ${i.message}${got}`;
}

/** Validates; the first problem becomes a UsageError naming its flag: `--rooms: must be ≤ participants (2) (got 3)`. */
export function toScenario(input: ScenarioInput): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map(describeIssue);
  throw new UsageError(issues.join('\n'), HELP);
}

/** bench-results/2026-11-27T09-30-00 */
export function defaultOutDir(now = new Date()): string {
  return `bench-results/${now.toISOString().slice(0, 19).replace(/:/g, '-')}`;
}

/** Where a protected site's secrets may come from: never the scenario file, never argv for the room password. */
export interface CredentialSources {
  /** --jwt <token> (visible in the process list: warned about) */
  jwt?: string;
  /** --jwt-file <file> */
  jwtFile?: string;
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}

export const JWT_ENV = 'JK8S_JWT';
export const ROOM_PASSWORD_ENV = 'JK8S_ROOM_PASSWORD';

/** The token from --jwt-file, $JK8S_JWT or --jwt (in that order), and what to warn about. */
export function resolveJwt(src: CredentialSources): { jwt?: string; warning?: string } {
  const given = [src.jwtFile !== undefined, src.env[JWT_ENV] !== undefined && src.env[JWT_ENV] !== '', src.jwt !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError(`give the token one way: --jwt-file, ${JWT_ENV} or --jwt`, HELP);
  let jwt: string | undefined;
  if (src.jwtFile !== undefined) {
    try {
      jwt = src.readFile(src.jwtFile).trim();
    } catch (e) {
      throw new UsageError(`--jwt-file: cannot read ${src.jwtFile}: ${(e as Error).message.split('\n')[0]}`, 'give a file that holds the token');
    }
  } else jwt = src.env[JWT_ENV] || src.jwt;
  if (jwt !== undefined && !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(jwt)) {
    throw new UsageError(`${src.jwtFile !== undefined ? '--jwt-file' : src.jwt !== undefined ? '--jwt' : JWT_ENV}: not a JWT (three base64url parts separated by dots)`, HELP);
  }
  return { jwt, ...(src.jwt !== undefined ? { warning: `--jwt puts the token in the process list: prefer --jwt-file or ${JWT_ENV}` } : {}) };
}
