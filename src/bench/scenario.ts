/**
 * The bench scenario: one zod schema for every choice of a run, human durations and ramp rates,
 * and the deterministic plan of who joins which room, in which role, in which browser, when.
 */
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "5m", "20s", "1m30s", "500ms", "90" (seconds) → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1_000);
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) return undefined;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0));
}

/** "2/s", "30/m", "2" (per second) → joins per second; undefined when malformed or ≤ 0. */
export function parseRamp(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(text);
  if (!m) return undefined;
  const perSecond = Number(m[1]) / ((UNITS[m[2] ?? 's'] ?? 1_000) / 1_000);
  return perSecond > 0 ? perSecond : undefined;
}

const duration = () =>
  z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'number') return Math.round(v);
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a duration such as 20s, 5m or 1m30s (got "${v}")` });
      return z.NEVER;
    }
    return ms;
  });

export const TARGETS = ['loopback', 'jitsi'] as const;

/** A meeting of ten with two cameras on: many such rooms load a bridge the way real traffic does. */
export const DEFAULT_ROOM_SIZE = 10;
export const DEFAULT_SENDERS_PER_ROOM = 2;

/** Rooms as given, else as many rooms of roomSize as the participants fill. */
function roomCount(s: { participants: number; rooms?: number; roomSize?: number }): number {
  return s.rooms ?? Math.ceil(s.participants / (s.roomSize ?? DEFAULT_ROOM_SIZE));
}
export type Target = (typeof TARGETS)[number];

export const scenarioSchema = z
  .strictObject({
    target: z.enum(TARGETS).default('loopback').register(z.globalRegistry, { description: 'loopback: the local conference served by this tool; jitsi: a Jitsi Meet site' }),
    url: z.url('a URL such as https://meet.example.com').optional().register(z.globalRegistry, { description: 'Jitsi Meet site (target jitsi)' }),
    participants: z.number().int().min(1, 'must be ≥ 1').default(4).register(z.globalRegistry, { description: 'participants to join' }),
    rooms: z.number().int().min(1, 'must be ≥ 1').optional().register(z.globalRegistry, { description: `rooms (conferences) to spread them over; default: rooms of roomSize (${DEFAULT_ROOM_SIZE})` }),
    roomSize: z.number().int().min(1, 'must be ≥ 1').optional().register(z.globalRegistry, { description: `participants per room when rooms is not given (default ${DEFAULT_ROOM_SIZE})` }),
    senders: z
      .number()
      .int()
      .min(0, 'must be ≥ 0')
      .optional()
      .register(z.globalRegistry, { description: `participants of each room that send video, the first ones of the room to join (default ${DEFAULT_SENDERS_PER_ROOM}, at most the room)` }),
    audioSenders: z.number().int().min(0, 'must be ≥ 0').optional().register(z.globalRegistry, { description: 'participants of each room that send audio (default: its video senders)' }),
    liteReceivers: z
      .number()
      .int()
      .min(0, 'must be ≥ 0')
      .optional()
      .register(z.globalRegistry, { description: 'receivers of each room that drop received video before decoding (Jitsi lite mode), the first ones to join; default all' }),
    durationMs: duration().default(60_000).register(z.globalRegistry, { description: 'length of the steady phase' }),
    rampPerSecond: z
      .union([z.number().positive(), z.string()])
      .transform((v, ctx) => {
        if (typeof v === 'number') return v;
        const r = parseRamp(v);
        if (r === undefined) {
          ctx.addIssue({ code: 'custom', message: `not a rate such as 2/s or 30/m (got "${v}")` });
          return z.NEVER;
        }
        return r;
      })
      .default(2)
      .register(z.globalRegistry, { description: 'joins (and leaves) per second' }),
    sampleIntervalMs: duration().default(1_000).register(z.globalRegistry, { description: 'how often every participant reads getStats()' }),
    warmupMs: duration().default(3_000).register(z.globalRegistry, { description: 'before joining: browsers start, bridges sampled idle' }),
    cooldownMs: duration().default(3_000).register(z.globalRegistry, { description: 'after everyone left: bridges sampled idle' }),
    joinTimeoutMs: duration().default(30_000).register(z.globalRegistry, { description: 'a participant without media flowing after this long failed to join' }),
    video: z
      .strictObject({
        width: z.number().int().min(16).max(3840).default(640),
        height: z.number().int().min(16).max(2160).default(360),
        fps: z.number().int().min(1).max(60).default(15),
      })
      .prefault({})
      .register(z.globalRegistry, { description: 'fake camera of the senders' }),
    viewport: z
      .strictObject({ width: z.number().int().min(160).max(3840), height: z.number().int().min(120).max(2160) })
      .default({ width: 1280, height: 720 })
      .register(z.globalRegistry, { description: 'page size of every participant: Jitsi asks the bridge for the video layer that fits the tile, so a laptop-sized page loads the bridge like people do' }),
    displayName: z.string().min(1).max(64).default('bench').register(z.globalRegistry, { description: 'display names are <prefix>-<n> (Jitsi target)' }),
    insecure: z.boolean().default(false).register(z.globalRegistry, { description: 'accept self-signed and internal-CA certificates of the site' }),
    replicas: z.array(z.number().int().min(1, 'must be ≥ 1')).min(1).optional().register(z.globalRegistry, { description: 'bridge counts to sweep, in order' }),
    participantsPerBrowser: z.number().int().min(1).max(16, 'Chrome handles at most 16 audio-sending tabs per browser').default(4).register(z.globalRegistry, { description: 'pages per browser process' }),
    roomPrefix: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and -')
      .default('jk8s-bench')
      .register(z.globalRegistry, { description: 'rooms are <prefix>-<n>' }),
    browser: z.string().optional().register(z.globalRegistry, { description: 'Chrome/Chromium binary' }),
    outDir: z.string().min(1).default('bench-results').register(z.globalRegistry, { description: 'folder for samples.jsonl, scenario.json and the report' }),
    thresholds: z
      .array(z.string())
      .optional()
      .register(z.globalRegistry, { description: 'the verdict: threshold expressions checked at every step (see bench --help); absent: every participant joins and media never stops' }),
    /** address the loopback conference listens on (127.0.0.1; a namespace address in the loss test) */
    listen: z
      .ipv4()
      .refine((a) => /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a), 'a loopback or private address, such as 127.0.0.1')
      .default('127.0.0.1')
      .register(z.globalRegistry, { description: 'address of the local loopback conference (the loss test uses one inside its network namespace)' }),
  })
  .superRefine((s, ctx) => {
    const rooms = roomCount(s);
    const smallest = Math.floor(s.participants / rooms);
    if (rooms > s.participants) ctx.addIssue({ code: 'custom', path: ['rooms'], message: `must be ≤ participants (${s.participants}) (got ${rooms})` });
    else if ((s.senders ?? 0) > smallest) ctx.addIssue({ code: 'custom', path: ['senders'], message: `counts per room: must be ≤ the smallest room (${smallest}) (got ${s.senders})` });
    else if ((s.audioSenders ?? 0) > smallest)
      ctx.addIssue({ code: 'custom', path: ['audioSenders'], message: `counts per room: must be ≤ the smallest room (${smallest}) (got ${s.audioSenders})` });
    if (s.target === 'jitsi' && !s.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required with target jitsi' });
    if (s.target === 'loopback' && s.replicas)
      ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'the loopback conference has no bridges to scale; sweep replicas against a Jitsi target' });
    if (s.sampleIntervalMs < 200) ctx.addIssue({ code: 'custom', path: ['sampleIntervalMs'], message: `must be ≥ 200ms (got ${s.sampleIntervalMs}ms)` });
  })
  .transform((s) => {
    const rooms = roomCount(s);
    return { ...s, rooms, senders: s.senders ?? Math.min(DEFAULT_SENDERS_PER_ROOM, Math.floor(s.participants / rooms)) };
  });

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
