/**
 * Join: open a participant's page in its browser and load the room; each sample interval decides
 * from what the page shows whether it has joined, failed, or is still on its way (`judgeJoin`, pure).
 */
import type { LaunchedBrowser } from '../browsers.js';
import { jitsiRoomUrl } from '../jitsi.js';
import type { LoopbackConference } from '../loopback/server.js';
import { mediaFlowing, PROBE_SCRIPT, type StatsDelta } from '../probe.js';
import type { ParticipantPlan, Scenario } from '../scenario.js';
import type { Participant, StepLedger } from './account.js';
import { leave } from './ramp-down.js';
import { firstLine } from './timing.js';

/** The page a participant opens: the loopback conference's, or the Jitsi room with bot overrides. */
export function roomUrl(s: Scenario, p: ParticipantPlan, conference: LoopbackConference | undefined): string {
  if (conference) {
    const q = new URLSearchParams({
      room: p.room,
      name: p.name,
      video: p.role === 'sender' ? '1' : '0',
      audio: p.sendsAudio ? '1' : '0',
      lite: p.lite ? '1' : '0',
      w: String(s.video.width),
      h: String(s.video.height),
      fps: String(s.video.fps),
      allow: conference.host,
    });
    return `${conference.url}?${q}`;
  }
  return jitsiRoomUrl(s.url!, p, s.video);
}

/** What one interval tells about a participant still joining. */
export interface JoinObservation {
  elapsedMs: number;
  timeoutMs: number;
  /** this interval's figures; absent when the page gave no stats */
  delta?: StatsDelta;
  connections?: number;
}

export type JoinVerdict = { kind: 'waiting' } | { kind: 'joined'; detail: string } | { kind: 'failed'; detail: string };

/** Joined once media flows; failed when the join timeout passes without it. */
export function judgeJoin(o: JoinObservation): JoinVerdict {
  if (o.delta && mediaFlowing(o.delta)) return { kind: 'joined', detail: `media after ${o.elapsedMs}ms` };
  if (o.elapsedMs <= o.timeoutMs) return { kind: 'waiting' };
  if (!o.delta) return { kind: 'failed', detail: `no stats from the page after ${o.timeoutMs}ms` };
  return { kind: 'failed', detail: `no media after ${o.timeoutMs}ms (${o.connections ?? 0} connection(s))` };
}

/** Opens the page and loads the room; a page that does not load is a failed join with its reason. */
export async function openParticipant(
  ledger: StepLedger,
  p: ParticipantPlan,
  browser: LaunchedBrowser | undefined,
  where: { s: Scenario; conference?: LoopbackConference },
): Promise<void> {
  const a = ledger.opened(p);
  try {
    if (!browser) throw new Error('its browser did not start');
    const page = await browser.browser.newPage();
    a.page = page;
    page.once('error', (err) => crashed(ledger, a, err));
    await page.evaluateOnNewDocument(PROBE_SCRIPT);
    await page.goto(roomUrl(where.s, p, where.conference), { waitUntil: 'domcontentloaded', timeout: where.s.joinTimeoutMs });
    if (a.state === 'opening') a.state = 'joining';
  } catch (e) {
    if (a.state === 'left') return;
    ledger.settle(a, { joined: false, detail: firstLine(e) });
    await leave(a);
  }
}

/** The page's renderer crashed: say so instead of letting its samples just stop. */
function crashed(ledger: StepLedger, a: Participant, err: Error): void {
  if (a.state !== 'joined' && a.state !== 'joining') return;
  const detail = `page crashed: ${firstLine(err)}`;
  if (a.state === 'joining') ledger.settle(a, { joined: false, detail });
  else {
    a.state = 'left';
    ledger.event({ event: 'left', participant: a.plan.name, detail });
  }
  a.page = undefined;
}
