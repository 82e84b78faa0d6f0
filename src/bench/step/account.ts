/**
 * The step's ledger: every participant's state, the joined/failed tally, and every record of the
 * step stamped with step, bridges and phase, placed on its bridge and written as it happens.
 * Every state change of a participant goes through here, so counts and events always agree.
 */
import type { Page } from 'puppeteer-core';
import { BridgePlacement } from '../placement.js';
import type { PageJoinState } from '../jitsi-state.js';
import type { RawSnapshot } from '../probe.js';
import type { SamplesWriter } from '../samples-file.js';
import type { EventRecord, JoinFailureReason, Phase, SampleRecord } from '../samples.js';
import type { ParticipantPlan } from '../scenario.js';

export type ParticipantState = 'opening' | 'joining' | 'joined' | 'failed' | 'left';

export interface Participant {
  plan: ParticipantPlan;
  page?: Page;
  state: ParticipantState;
  openedAt: number;
  /** the previous getStats() snapshot: the next interval's figures are the difference */
  last?: RawSnapshot;
  /** the room password was entered once (a second refusal is final) */
  passwordTried?: boolean;
  /** what the page last said about its join: a page too busy to answer one read keeps it */
  lastJoin?: PageJoinState;
}

export interface Tally {
  joined: number;
  failed: number;
}

type EventFields = Omit<EventRecord, 't' | 'step' | 'bridges' | 'phase' | 'kind'>;

export class StepLedger {
  phase: Phase = 'warmup';
  readonly participants = new Map<string, Participant>();
  private readonly placement = new BridgePlacement();

  constructor(
    readonly where: { step: number; bridges: number },
    private readonly samples: SamplesWriter,
    readonly tally: Tally,
    private readonly onRecord?: (r: SampleRecord) => void,
  ) {}

  /** The fields every record of this step carries, now. */
  stamp(): { t: number; step: number; bridges: number; phase: Phase } {
    return { t: Date.now(), ...this.where, phase: this.phase };
  }

  /** Writes records; participants are placed on the bridge whose advertised address they send media to. */
  emit(found: SampleRecord[]): void {
    const records = this.placement.place(found);
    this.samples.append(records);
    for (const r of records) this.onRecord?.(r);
  }

  event(e: EventFields): void {
    this.emit([{ ...this.stamp(), kind: 'event', ...e }]);
  }

  opened(plan: ParticipantPlan): Participant {
    const p: Participant = { plan, state: 'opening', openedAt: Date.now() };
    this.participants.set(plan.name, p);
    return p;
  }

  /** Joined or failed: counted once, recorded as an event (emitted now, or pushed to `batch`). */
  settle(p: Participant, outcome: { joined: true; detail: string } | { joined: false; reason: JoinFailureReason; detail: string }, batch?: SampleRecord[]): void {
    if (p.state !== 'opening' && p.state !== 'joining') return;
    p.state = outcome.joined ? 'joined' : 'failed';
    if (outcome.joined) this.tally.joined++;
    else this.tally.failed++;
    const record: EventRecord = outcome.joined
      ? { ...this.stamp(), kind: 'event', event: 'joined', participant: p.plan.name, detail: outcome.detail }
      : { ...this.stamp(), kind: 'event', event: 'join-failed', participant: p.plan.name, reason: outcome.reason, detail: outcome.detail };
    if (batch) batch.push(record);
    else this.emit([record]);
  }

  /** Participants whose page is open and counts: joining or joined. */
  open(): Participant[] {
    return [...this.participants.values()].filter((p) => p.page && (p.state === 'joining' || p.state === 'joined'));
  }

  unsettled(): boolean {
    return [...this.participants.values()].some((p) => p.state === 'opening' || p.state === 'joining');
  }
}
