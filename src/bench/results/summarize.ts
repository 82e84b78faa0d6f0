/**
 * summarize(records, scenario) → Summary: the figures of a run, per sweep step and phase, computed
 * only from samples.jsonl records. Pure; a figure without data is null, never an invented 0.
 */
import { JOIN_FAILURE_REASONS, PHASES, type EventRecord, type Phase, type SampleRecord } from '../samples.js';
import { BridgeAcc } from './bridge-figures.js';
import { ClientAcc } from './client-figures.js';
import { scenarioInfo } from './scenario.js';
import { max, mean, num, ratio, round } from './stats.js';
import {
  DEFINITIONS,
  type BridgeFigures,
  type JoinFailure,
  type ParticipantCounts,
  type PhaseSummary,
  type Placement,
  type ReasonCount,
  type StepSummary,
  type Summary,
} from './summary.js';

const MAX_FAILURES = 50;

const emptyCounts = (): ParticipantCounts => ({ joined: 0, failed: 0, left: 0, workerDied: 0 });

class GroupAcc {
  start = Infinity;
  end = -Infinity;
  counts = emptyCounts();
  clients = new ClientAcc();
  bridges = new Map<string, BridgeAcc>();
  add(r: SampleRecord): void {
    if (r.t < this.start) this.start = r.t;
    if (r.t > this.end) this.end = r.t;
    if (r.kind === 'participant') this.clients.add(r);
    else if (r.kind === 'bridge') {
      let b = this.bridges.get(r.bridge);
      if (!b) this.bridges.set(r.bridge, (b = new BridgeAcc(r.bridge)));
      b.add(r);
    } else countEvent(this.counts, r);
  }
  bridgeFigures(): BridgeFigures[] {
    return [...this.bridges.values()].sort((a, b) => a.bridge.localeCompare(b.bridge)).map((b) => b.finish());
  }
}

function countEvent(c: ParticipantCounts, e: EventRecord): void {
  if (e.event === 'joined') c.joined++;
  else if (e.event === 'join-failed') c.failed++;
  else if (e.event === 'left') c.left++;
  else if (e.event === 'worker-died') c.workerDied++;
}

function sumCounts(list: ParticipantCounts[]): ParticipantCounts {
  const c = emptyCounts();
  for (const x of list) {
    c.joined += x.joined;
    c.failed += x.failed;
    c.left += x.left;
    c.workerDied += x.workerDied;
  }
  return c;
}

/** Accumulates records one at a time (so a large file never has to sit in memory), then finishes. */
export class SummaryBuilder {
  private overall = new GroupAcc();
  private groups = new Map<number, { bridges: number; phases: Map<Phase, GroupAcc> }>();
  private placement = new Map<string, { step: number; bridges: number; room: string; bridgeNames: Set<string>; participants: Set<string> }>();
  private counts = { participant: 0, bridge: 0, event: 0 };
  private interrupted = false;
  /** why a ramp-up or a load generator stopped early (ramp-stopped, worker-stopped events) */
  private stops: string[] = [];
  private failures: JoinFailure[] = [];
  private reasons = new Map<string, ReasonCount>();
  private receivers = new Map<string, { room: string | null; lite: boolean; samples: number; heights: Map<number, number>; fps: number[] }>();

  add(r: SampleRecord): void {
    this.counts[r.kind]++;
    this.overall.add(r);
    let step = this.groups.get(r.step);
    if (!step) this.groups.set(r.step, (step = { bridges: r.bridges, phases: new Map() }));
    let group = step.phases.get(r.phase);
    if (!group) step.phases.set(r.phase, (group = new GroupAcc()));
    group.add(r);
    if (r.kind === 'participant' && typeof r.room === 'string') {
      const key = `${r.step}\u0000${r.room}`;
      let p = this.placement.get(key);
      if (!p) this.placement.set(key, (p = { step: r.step, bridges: r.bridges, room: r.room, bridgeNames: new Set(), participants: new Set() }));
      p.participants.add(r.participant);
      if (typeof r.bridge === 'string' && r.bridge !== '') p.bridgeNames.add(r.bridge);
    }
    if (r.kind === 'participant' && r.role === 'receiver' && typeof r.participant === 'string') {
      let rc = this.receivers.get(r.participant);
      if (!rc)
        this.receivers.set(r.participant, (rc = { room: typeof r.room === 'string' ? r.room : null, lite: false, samples: 0, heights: new Map(), fps: [] }));
      rc.samples++;
      if (r.lite === true) rc.lite = true;
      const h = num(r.videoHeightIn);
      if (h !== undefined) rc.heights.set(h, (rc.heights.get(h) ?? 0) + 1);
      const fps = num(r.framesPerSecond);
      if (fps !== undefined && r.lite !== true) rc.fps.push(fps);
    }
    if (r.kind === 'event') {
      if (r.event === 'interrupted') this.interrupted = true;
      if (r.event === 'ramp-stopped') this.stops.push(`ramp-up stopped early: ${r.detail ?? 'no reason given'}`);
      if (r.event === 'worker-stopped') this.stops.push(r.detail ?? `load generator of shard ${r.shard} was stopped`);
      // each step down (and the restore) drained the bridges that went: how long it took, per step
      if (r.event === 'scaled' && typeof r.drainMs === 'number')
        this.stops.push(`step ${r.step + 1} (${r.bridges} bridges): ${r.detail ?? `drained for ${Math.round(r.drainMs / 1000)} s`}`);
      const reason = typeof r.reason === 'string' && r.reason in JOIN_FAILURE_REASONS ? r.reason : null;
      if (r.event === 'join-failed' && this.failures.length < MAX_FAILURES) {
        this.failures.push({ t: r.t, step: r.step, phase: r.phase, participant: r.participant ?? null, reason, detail: r.detail ?? null });
      }
      if (r.event === 'join-failed' || (r.event === 'left' && reason)) {
        const key = `${r.event}\u0000${reason ?? 'unknown'}`;
        let c = this.reasons.get(key);
        if (!c)
          this.reasons.set(
            key,
            (c = {
              event: r.event,
              reason: reason ?? 'unknown',
              label: reason ? JOIN_FAILURE_REASONS[reason] : 'no reason recorded',
              count: 0,
              example: r.detail ?? null,
            }),
          );
        c.count++;
      }
    }
  }

  finish(scenario: unknown): Summary {
    const steps: StepSummary[] = [...this.groups.entries()]
      .sort(([a], [b]) => a - b)
      .map(([step, g]) => {
        const phases = PHASES.filter((p) => g.phases.has(p)).map((phase) => phaseSummary(phase, g.phases.get(phase)!));
        return {
          step,
          bridges: g.bridges,
          start: Math.min(...phases.map((p) => p.start)),
          end: Math.max(...phases.map((p) => p.end)),
          participants: sumCounts(phases.map((p) => p.participants)),
          phases,
        };
      });
    const placement: Placement[] = [...this.placement.values()]
      .sort((a, b) => a.step - b.step || a.room.localeCompare(b.room))
      .map((p) => ({ step: p.step, bridges: p.bridges, room: p.room, bridgeNames: [...p.bridgeNames].sort(), participants: p.participants.size }));
    const total = this.counts.participant + this.counts.bridge + this.counts.event;
    const bridgeMeasured = this.counts.bridge > 0;
    const notes: string[] = [];
    if (total === 0) notes.push('no records: nothing was measured');
    if (!bridgeMeasured) notes.push('no bridge was measured: there are no bridge samples (a loopback run, or the bridge sampler reached no JVB pod)');
    if (this.counts.participant === 0 && total > 0) notes.push('no participant samples: no client figures');
    if (bridgeMeasured && placement.length > 0 && placement.every((p) => p.bridgeNames.length === 0))
      notes.push('participant samples do not say which bridge they landed on');
    const negative = this.overall.clients.negativeCpu;
    if (negative > 0) notes.push(`${negative} browser CPU reading(s) below 0 were left out (a browser process exited during the interval)`);
    if (this.interrupted) notes.push('the run was interrupted: figures cover what was measured until then');
    notes.push(...this.stops);
    const overallCounts = sumCounts(steps.map((s) => s.participants));
    if (overallCounts.failed > 0) notes.push(`${overallCounts.failed} join attempt(s) failed`);
    const start = Number.isFinite(this.overall.start) ? this.overall.start : null;
    const end = Number.isFinite(this.overall.end) ? this.overall.end : null;
    return {
      schema: 'jitsi-k8s/bench-summary@1',
      scenario: scenarioInfo(scenario),
      run: {
        start,
        end,
        durationS: start !== null && end !== null ? round((end - start) / 1000, 3) : null,
        records: { ...this.counts },
        bridgeMeasured,
        interrupted: this.interrupted,
        failures: this.failures,
        reasons: [...this.reasons.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
      },
      receivers: [...this.receivers.entries()]
        .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
        .map(([participant, rc]) => ({
          participant,
          room: rc.room,
          lite: rc.lite,
          samples: rc.samples,
          videoHeightIn: rc.heights.size ? [...rc.heights.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0] : null,
          videoHeightsIn: [...rc.heights.keys()].sort((a, b) => a - b),
          framesPerSecondMean: round(mean(rc.fps), 2),
        })),
      overall: { participants: overallCounts, clients: this.overall.clients.finish(), bridges: this.overall.bridgeFigures() },
      steps,
      placement,
      definitions: { ...DEFINITIONS },
      notes,
    };
  }
}

function phaseSummary(phase: Phase, g: GroupAcc): PhaseSummary {
  const clients = g.clients.finish();
  const bridges = g.bridgeFigures();
  const cpuMeans = bridges.map((b) => b.cpuCoresMean).filter((v): v is number => v !== null);
  const bridgeCpuCoresTotal = cpuMeans.length > 0 ? round(cpuMeans.reduce((a, b) => a + b, 0)) : null;
  const stress = bridges.map((b) => b.stressMax).filter((v): v is number => v !== null);
  return {
    phase,
    start: g.start,
    end: g.end,
    durationS: round((g.end - g.start) / 1000, 3) ?? 0,
    participants: g.counts,
    clients,
    bridges,
    bridgeCpuCoresTotal,
    cpuPerParticipant: round(ratio(bridgeCpuCoresTotal, clients.participants > 0 ? clients.participants : null), 5),
    stressMax: max(stress),
  };
}

/** The summary of a run from its records (any iterable) and its scenario.json object. */
export function summarize(records: Iterable<SampleRecord>, scenario: unknown): Summary {
  const builder = new SummaryBuilder();
  for (const r of records) builder.add(r);
  return builder.finish(scenario);
}
