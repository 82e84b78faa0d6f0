/**
 * The bench scenario: one zod schema for every choice of a run, human durations and ramp rates,
 * and the deterministic plan of who joins which room, in which role, in which browser, when.
 */
import * as z from '../config/zod.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "5m", "20s", "1m30s", "500ms", "90" (seconds) → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1_000);
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) return undefined;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0));
}

/** Milliseconds as parseDuration reads them back: 5000 → "5s", 90000 → "1m30s", 500 → "500ms". */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let left = Math.round(ms);
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  if (left > 0 || parts.length === 0) parts.push(`${left}ms`);
  return parts.join('');
}

/** "2/s", "30/m", "2" (per second) → joins per second; undefined when malformed or ≤ 0. */
export function parseRamp(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(text);
  if (!m) return undefined;
  const perSecond = Number(m[1]) / ((UNITS[m[2] ?? 's'] ?? 1_000) / 1_000);
  return perSecond > 0 ? perSecond : undefined;
}

const duration = () =>
  z.pipe(
    z.union([z.number().check(z.nonnegative()), z.string()]),
    z.transform((v, ctx) => {
      if (typeof v === 'number') return Math.round(v);
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', message: `not a duration such as 20s, 5m or 1m30s (got "${v}")`, input: v });
        return z.NEVER;
      }
      return ms;
    }),
  );

export const TARGETS = ['loopback', 'jitsi'] as const;

/** A meeting of ten with two cameras on: many such rooms load a bridge the way real traffic does. */
export const DEFAULT_ROOM_SIZE = 10;
/** The steady phase when --duration is not given. */
export const DEFAULT_DURATION_MS = 60_000;
export const DEFAULT_SENDERS_PER_ROOM = 2;

/** Rooms as given, else as many rooms of roomSize as the participants fill. */
function roomCount(s: { participants: number; rooms?: number; roomSize?: number }): number {
  return s.rooms ?? Math.ceil(s.participants / (s.roomSize ?? DEFAULT_ROOM_SIZE));
}
export type Target = (typeof TARGETS)[number];

/** Registers a field's description in place (mini has no `.describe()`). */
function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  z.globalRegistry.add(schema, { description });
  return schema;
}

const whole = () => z.number().check(z.int());

export const scenarioSchema = z.pipe(
  z
    .strictObject({
      target: described(z._default(z.enum(TARGETS), 'loopback'), 'loopback: the local conference served by this tool; jitsi: a Jitsi Meet site'),
      url: described(z.optional(z.url('a URL such as https://meet.example.com')), 'Jitsi Meet site (target jitsi)'),
      participants: described(z._default(whole().check(z.minimum(1, 'must be ≥ 1')), 4), 'participants to join'),
      rooms: described(
        z.optional(whole().check(z.minimum(1, 'must be ≥ 1'))),
        `rooms (conferences) to spread them over; default: rooms of roomSize (${DEFAULT_ROOM_SIZE})`,
      ),
      roomSize: described(z.optional(whole().check(z.minimum(1, 'must be ≥ 1'))), `participants per room when rooms is not given (default ${DEFAULT_ROOM_SIZE})`),
      senders: described(
        z.optional(whole().check(z.minimum(0, 'must be ≥ 0'))),
        `participants of each room that send video, the first ones of the room to join (default ${DEFAULT_SENDERS_PER_ROOM}, at most the room)`,
      ),
      audioSenders: described(z.optional(whole().check(z.minimum(0, 'must be ≥ 0'))), 'participants of each room that send audio (default: its video senders)'),
      liteReceivers: described(
        z.optional(whole().check(z.minimum(0, 'must be ≥ 0'))),
        'receivers of each room that drop received video before decoding (Jitsi lite mode), the first ones to join; default all',
      ),
      durationMs: described(z._default(duration(), DEFAULT_DURATION_MS), 'length of the steady phase'),
      rampPerSecond: described(
        z._default(
          z.pipe(
            z.union([z.number().check(z.positive()), z.string()]),
            z.transform((v, ctx) => {
              if (typeof v === 'number') return v;
              const r = parseRamp(v);
              if (r === undefined) {
                ctx.issues.push({ code: 'custom', message: `not a rate such as 2/s or 30/m (got "${v}")`, input: v });
                return z.NEVER;
              }
              return r;
            }),
          ),
          2,
        ),
        'joins (and leaves) per second',
      ),
      sampleIntervalMs: described(z._default(duration(), 1_000), 'how often every participant reads getStats()'),
      warmupMs: described(z._default(duration(), 3_000), 'before joining: browsers start, bridges sampled idle'),
      cooldownMs: described(z._default(duration(), 3_000), 'after everyone left: bridges sampled idle'),
      joinTimeoutMs: described(z._default(duration(), 30_000), 'a participant without media flowing after this long failed to join'),
      video: described(
        z.prefault(
          z.strictObject({
            width: z._default(whole().check(z.minimum(16), z.maximum(3840)), 640),
            height: z._default(whole().check(z.minimum(16), z.maximum(2160)), 360),
            fps: z._default(whole().check(z.minimum(1), z.maximum(60)), 15),
          }),
          {},
        ),
        'fake camera of the senders',
      ),
      viewport: described(
        z._default(
          z.strictObject({ width: whole().check(z.minimum(160), z.maximum(3840)), height: whole().check(z.minimum(120), z.maximum(2160)) }),
          { width: 1280, height: 720 },
        ),
        'page size of every participant: Jitsi asks the bridge for the video layer that fits the tile, so a laptop-sized page loads the bridge like people do',
      ),
      displayName: described(z._default(z.string().check(z.minLength(1), z.maxLength(64)), 'bench'), 'display names are <prefix>-<n> (Jitsi target)'),
      insecure: described(z._default(z.boolean(), false), 'accept self-signed and internal-CA certificates of the site'),
      replicas: described(z.optional(z.array(whole().check(z.minimum(1, 'must be ≥ 1'))).check(z.minLength(1))), 'bridge counts to sweep, in order'),
      participantsPerBrowser: described(
        z._default(whole().check(z.minimum(1), z.maximum(16, 'Chrome handles at most 16 audio-sending tabs per browser')), 4),
        'pages per browser process',
      ),
      roomPrefix: described(z._default(z.string().check(z.regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and -')), 'jk8s-bench'), 'rooms are <prefix>-<n>'),
      browser: described(z.optional(z.string()), 'Chrome/Chromium binary'),
      outDir: described(z._default(z.string().check(z.minLength(1)), 'bench-results'), 'folder for samples.jsonl, scenario.json and the report'),
      thresholds: described(
        z.optional(z.array(z.string())),
        'the verdict: threshold expressions checked at every step (see bench --help); absent: every participant joins and media never stops',
      ),
      findCapacity: described(
        z.optional(z.strictObject({ ceiling: z.optional(whole().check(z.minimum(1, 'must be ≥ 1'))) })),
        'bench --find-capacity: add rooms of roomSize until a threshold breaks; ceiling: the most participants to try per bridge (from --participants)',
      ),
      lookalikeStress: described(
        z.optional(z.number().check(z.positive(), z.maximum(1))),
        'target loopback: stress per participant of the look-alike bridges (default 0.01, jicofo\'s assumed stress per participant)',
      ),
      /** address the loopback conference listens on (127.0.0.1; a namespace address in the loss test) */
      listen: described(
        z._default(
          z.ipv4().check(z.refine((a) => /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a), 'a loopback or private address, such as 127.0.0.1')),
          '127.0.0.1',
        ),
        'address of the local loopback conference (the loss test uses one inside its network namespace)',
      ),
    })
    .check(
      z.superRefine((s, ctx) => {
        const rooms = roomCount(s);
        const smallest = Math.floor(s.participants / rooms);
        if (rooms > s.participants) ctx.addIssue({ code: 'custom', path: ['rooms'], message: `must be ≤ participants (${s.participants}) (got ${rooms})` });
        else if ((s.senders ?? 0) > smallest) ctx.addIssue({ code: 'custom', path: ['senders'], message: `counts per room: must be ≤ the smallest room (${smallest}) (got ${s.senders})` });
        else if ((s.audioSenders ?? 0) > smallest)
          ctx.addIssue({ code: 'custom', path: ['audioSenders'], message: `counts per room: must be ≤ the smallest room (${smallest}) (got ${s.audioSenders})` });
        if (s.target === 'jitsi' && !s.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required with target jitsi' });
        if (s.target === 'loopback' && s.replicas && !s.findCapacity)
          ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'the loopback conference has no bridges to scale; sweep replicas against a Jitsi target (or give --find-capacity: its look-alike bridges scale)' });
        if (s.sampleIntervalMs < 200) ctx.addIssue({ code: 'custom', path: ['sampleIntervalMs'], message: `must be ≥ 200ms (got ${s.sampleIntervalMs}ms)` });
      }),
    ),
  z.transform((s) => {
    const rooms = roomCount(s);
    return { ...s, rooms, senders: s.senders ?? Math.min(DEFAULT_SENDERS_PER_ROOM, Math.floor(s.participants / rooms)) };
  }),
);

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;

/** One participant as planned: fixed before the run, so two runs of a scenario are comparable. */
export interface ParticipantPlan {
  index: number;
  name: string; // "bench-<n>", n from 1
  room: string;
  role: 'sender' | 'receiver';
  sendsAudio: boolean;
  /** receives video without decoding it */
  lite: boolean;
  /** index into the browser list; senders and receivers never share a browser */
  browser: number;
  /** offset from the start of ramp-up */
  joinAtMs: number;
}

export interface BrowserPlan {
  index: number;
  /** senders' browsers get the fake camera at the scenario's size and fps */
  kind: 'sender' | 'receiver';
  participants: string[];
}

export interface Assignment {
  participants: ParticipantPlan[];
  browsers: BrowserPlan[];
}

/**
 * Participant i (0-based) goes to room i mod rooms, so joins alternate between rooms and every room
 * fills at the same pace; in each room the first `senders` members send video (as Malleus does), the
 * first `audioSenders` send audio and the first `liteReceivers` of its receivers run in lite mode —
 * so all senders join first. i joins at i / ramp seconds. Sender pages are packed into sender
 * browsers, the others into receiver browsers, `participantsPerBrowser` per browser.
 */
export function assignParticipants(
  s: Pick<Scenario, 'participants' | 'rooms' | 'senders' | 'audioSenders' | 'liteReceivers' | 'rampPerSecond' | 'participantsPerBrowser' | 'roomPrefix'>,
): Assignment {
  const audioSenders = s.audioSenders ?? s.senders;
  const liteReceivers = s.liteReceivers ?? s.participants;
  const browsers: BrowserPlan[] = [];
  const open: Partial<Record<BrowserPlan['kind'], BrowserPlan>> = {};
  const participants: ParticipantPlan[] = [];
  for (let i = 0; i < s.participants; i++) {
    const inRoom = Math.floor(i / s.rooms);
    const role = inRoom < s.senders ? 'sender' : 'receiver';
    let browser = open[role];
    if (!browser || browser.participants.length >= s.participantsPerBrowser) {
      browser = { index: browsers.length, kind: role, participants: [] };
      browsers.push(browser);
      open[role] = browser;
    }
    const name = `bench-${i + 1}`;
    browser.participants.push(name);
    participants.push({
      index: i,
      name,
      room: `${s.roomPrefix}-${(i % s.rooms) + 1}`,
      role,
      sendsAudio: inRoom < audioSenders,
      lite: role === 'receiver' && inRoom - s.senders < liteReceivers,
      browser: browser.index,
      joinAtMs: Math.round((i * 1_000) / s.rampPerSecond),
    });
  }
  return { participants, browsers };
}

/** Room sizes, largest first: participants are dealt round-robin, so sizes differ by at most one. */
export function roomSizes(s: Pick<Scenario, 'participants' | 'rooms'>): number[] {
  return Array.from({ length: s.rooms }, (_, r) => Math.floor(s.participants / s.rooms) + (r < s.participants % s.rooms ? 1 : 0));
}

/** "200 participants = 20 rooms × 10, 2 senders each": what the run will look like, said before it starts. */
export function describeShape(s: Pick<Scenario, 'participants' | 'rooms' | 'senders' | 'audioSenders' | 'liteReceivers'>): string {
  const sizes = roomSizes(s);
  const big = sizes[0] ?? 0;
  const small = sizes.at(-1) ?? 0;
  const each = s.rooms === 1 ? '' : ' each';
  const parts = [`${s.participants} participant${s.participants === 1 ? '' : 's'} = ${s.rooms} room${s.rooms === 1 ? '' : 's'} × ${small === big ? big : `${small}–${big}`}`];
  parts.push(`${s.senders} sender${s.senders === 1 ? '' : 's'}${each}`);
  if (s.audioSenders !== undefined && s.audioSenders !== s.senders) parts.push(`${s.audioSenders} sending audio${each}`);
  const receivers = small - s.senders;
  if (s.liteReceivers === 0) parts.push('receivers decode video');
  else if (s.liteReceivers !== undefined && s.liteReceivers < receivers) parts.push(`${s.liteReceivers} lite receiver${s.liteReceivers === 1 ? '' : 's'}${each}, the rest decode video`);
  return parts.join(', ');
}

/** Validates a scenario; errors name the field: `rooms: must be ≤ participants (4) (got 5)`. */
export function parseScenario(input: ScenarioInput): Scenario {
  return scenarioSchema.parse(input);
}
