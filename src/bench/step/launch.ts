/** Launch: the step's browsers, started during warmup so their start-up cost stays out of the ramp. */
import { CommandError } from '../../errors.js';
import { closeBrowser, launchBrowser, type LaunchedBrowser } from '../browsers.js';
import type { LoopbackConference } from '../loopback/server.js';
import type { Assignment, Scenario } from '../scenario.js';
import type { StepLedger } from './account.js';
import type { StepResources } from './resources.js';

/**
 * A browser that cannot start or dies while participants join (out of memory, `Target closed`)
 * says the machine is full: the ramp-up stops there instead of piling more participants on it.
 */
export class RampStop {
  reason?: string;
  /** a browser did not start: no more are launched, participants join until one needs a missing browser */
  launchFailure?: string;
  /** the step is closing its browsers: their ends are expected */
  closing = false;
  constructor(
    private readonly ledger: StepLedger,
    private readonly total: number,
    private readonly signal: AbortSignal,
    private readonly warn: (message: string) => void,
  ) {}

  stop(why: string): void {
    if (this.reason || this.closing || this.signal.aborted || (this.ledger.phase !== 'warmup' && this.ledger.phase !== 'ramp-up')) return;
    this.reason = why;
    this.warn(`step ${this.ledger.where.step + 1}: ${why}: the ramp-up stops, no more participants join`);
    this.ledger.event({ event: 'ramp-stopped', detail: `${why}; ${this.ledger.participants.size} of ${this.total} participant(s) started` });
  }
}

/** The origin Chrome must treat as secure: the loopback conference on a namespace address, or a site served over http. */
export function trustedOrigin(s: Pick<Scenario, 'target' | 'url'>, conference: LoopbackConference | undefined): string | undefined {
  if (conference) return conference.host !== '127.0.0.1' ? new URL(conference.url).origin : undefined;
  if (s.target === 'jitsi' && s.url && new URL(s.url).protocol === 'http:') return new URL(s.url).origin;
  return undefined;
}

/** A site on this machine's loopback address: Chrome must be allowed loopback ICE candidates. */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export interface LaunchContext {
  s: Scenario;
  plan: Assignment;
  executablePath: string;
  fakeVideoFile: string;
  conference?: LoopbackConference;
  signal: AbortSignal;
  onBrowser?: (pid: number | undefined) => void;
  ramp: RampStop;
}

/** How messages name a browser of the step: counted from 1, with the total ("browser 2 of 4"). */
export const browserName = (index: number, browsers: number) => `browser ${index + 1} of ${browsers}`;

/**
 * Starts the plan's browsers one by one into `into` (indexed like the plan), stopping at Ctrl-C or
 * when the machine runs out; a browser that dies later takes its participants with it, named.
 */
export async function launchStepBrowsers(c: LaunchContext, into: (LaunchedBrowser | undefined)[], ledger: StepLedger, resources: StepResources): Promise<void> {
  const { s } = c;
  for (const b of c.plan.browsers) {
    if (c.signal.aborted || resources.watch.exhausted) break;
    const which = browserName(b.index, c.plan.browsers.length);
    // the OOM killer or a pids limit may already be at work on the browsers that started, before any of them fails
    if (resources.blame(undefined, `${which} was not started`)) {
      c.ramp.launchFailure = resources.watch.exhausted!.message;
      break;
    }
    let launched: LaunchedBrowser;
    try {
      launched = await launchBrowser(c.executablePath, {
        kind: b.kind,
        video: s.video,
        loopback: s.target === 'loopback' || isLoopbackUrl(s.url),
        fakeVideoFile: b.kind === 'sender' ? c.fakeVideoFile : undefined,
        trustedOrigin: trustedOrigin(s, c.conference),
        viewport: s.viewport,
        insecure: s.insecure,
      }, c.signal);
    } catch (e) {
      // stopped while this browser was starting: it was killed; nothing failed
      if (c.signal.aborted) break;
      // puppeteer's whole message carries the browser's stderr: the words that say what ran out
      const failure = e instanceof CommandError ? (e.details ?? e.message) : String(e);
      const ranOut = resources.blame(failure, `${which} did not start`);
      // the first browser failing is a broken browser, not a full machine, unless the machine says it ran out
      if (!ranOut && !into.some(Boolean)) throw e;
      c.ramp.launchFailure = ranOut ? resources.watch.exhausted!.message : `${which} did not start (${(e as Error).message})`;
      break;
    }
    into[b.index] = launched;
    resources.watch.track(launched.pid);
    c.onBrowser?.(launched.pid);
    launched.browser.once('disconnected', () => {
      if (!resources.closing) browserDied(b.index, which, launched, ledger, resources);
      c.ramp.stop(`${which} ended unexpectedly`);
    });
  }
}

/** A browser gone before the step closed it: its participants failed or left, with what killed it when the machine ran out. */
function browserDied(index: number, which: string, b: LaunchedBrowser, ledger: StepLedger, resources: StepResources): void {
  const tail = b.stderrTail();
  const ranOut = resources.blame(tail, `${which} died`);
  const detail = ranOut ? `its browser died: out of ${ranOut}` : `its browser died${tail ? ` (${tail.split('\n').at(-1)})` : ''}`;
  for (const a of ledger.participants.values()) {
    if (a.plan.browser !== index) continue;
    if (a.state === 'opening' || a.state === 'joining') ledger.settle(a, { joined: false, reason: 'browser-died', detail });
    else if (a.state === 'joined') {
      a.state = 'left';
      ledger.event({ event: 'left', participant: a.plan.name, reason: 'browser-died', detail });
    } else continue;
    a.page = undefined;
  }
}

export async function closeStepBrowsers(browsers: (LaunchedBrowser | undefined)[]): Promise<void> {
  await Promise.all(browsers.map((b) => (b ? closeBrowser(b) : undefined)));
}
