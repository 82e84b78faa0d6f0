/**
 * `jitsi-k8s bench worker`: one load generator of a Kubernetes Indexed Job. It reads the spec the
 * coordinator put in the ConfigMap, drives its shard's participants (same engine as the local
 * runner), and prints every record as one JSON line on stdout — the coordinator follows the pod's
 * log. Everything else goes to stderr.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { JWT_ENV, ROOM_PASSWORD_ENV } from '../options.js';
import { runPlannedStep } from '../runner.js';
import type { SamplesWriter } from '../samples-file.js';
import type { SampleRecord } from '../samples.js';
import type { SiteCredentials } from '../step/join.js';
import { assignParticipants, parseScenario, type Assignment, type BrowserPlan } from '../scenario.js';
import { measureClockOffset } from './clock.js';
import type { WorkerSpec } from './job.js';

/** The part of the global plan one shard drives; browsers renumbered, join offsets kept. */
export function shardPlan(full: Assignment, participants: number[]): Assignment {
  const keep = new Set(participants);
  const mine = full.participants.filter((p) => keep.has(p.index));
  const browserIndex = new Map<number, number>();
  const browsers: BrowserPlan[] = [];
  for (const p of mine) {
    if (!browserIndex.has(p.browser)) {
      const original = full.browsers[p.browser]!;
      browserIndex.set(p.browser, browsers.length);
      browsers.push({ index: browsers.length, kind: original.kind, participants: [] });
    }
    browsers[browserIndex.get(p.browser)!]!.participants.push(p.name);
  }
  return { participants: mine.map((p) => ({ ...p, browser: browserIndex.get(p.browser)! })), browsers };
}

export function readWorkerSpec(path: string): WorkerSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read the worker spec ${path}: ${(e as Error).message}`, 'bench worker runs inside the Job that `bench --runner k8s` creates');
  }
  const spec = raw as WorkerSpec;
  // re-validate: the scenario went through JSON
  return { ...spec, scenario: parseScenario(spec.scenario as never) };
}

/** Records as JSON lines on a stream. */
export function lineWriter(write: (text: string) => void): SamplesWriter {
  let count = 0;
  return {
    path: '-',
    get count() {
      return count;
    },
    append(records: SampleRecord[]) {
      if (records.length === 0) return;
      write(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      count += records.length;
    },
  };
}

/** The site's token and room password, from the variables the Job fills from its Secret. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): SiteCredentials {
  const jwt = env[JWT_ENV] || undefined;
  const roomPassword = env[ROOM_PASSWORD_ENV] || undefined;
  return { ...(jwt ? { jwt } : {}), ...(roomPassword ? { roomPassword } : {}) };
}

export interface WorkerRun {
  spec: WorkerSpec;
  shard: number;
  signal: AbortSignal;
  out: SamplesWriter;
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
  browser?: string;
  credentials?: SiteCredentials;
}

export async function runWorker(w: WorkerRun): Promise<{ joined: number; failed: number }> {
  const { spec } = w;
  const shard = spec.shards.find((s) => s.index === w.shard);
  if (!shard) throw new UsageError(`--shard ${w.shard}: the spec has shards 0-${spec.shards.length - 1}`);
  const plan = shardPlan(assignParticipants(spec.scenario), shard.participants);
  const base = { step: spec.step, bridges: spec.bridges, phase: 'warmup' as const, shard: w.shard };
  if (spec.scenario.url) {
    const clock = await measureClockOffset(spec.scenario.url, w.signal);
    if (clock) {
      w.out.append([{ kind: 'event', event: 'clock-offset', t: Date.now(), ...base, offsetMs: clock.offsetMs, detail: `±${clock.errorMs}ms against ${new URL(spec.scenario.url).host}` }]);
    }
  }
  // ramp-up starts at the coordinator's deadline for every worker
  const s = { ...spec.scenario, browser: w.browser ?? spec.scenario.browser, warmupMs: Math.max(0, spec.startAtMs - Date.now()) };
  w.log.info(`shard ${w.shard}: ${plan.participants.length} participant(s) in ${plan.browsers.length} browser(s), ramp-up in ${Math.round(s.warmupMs / 1000)}s`);
  return runPlannedStep(s, plan, { step: spec.step, bridges: spec.bridges }, w.out, { signal: w.signal, log: w.log, credentials: w.credentials });
}
