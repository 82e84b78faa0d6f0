/** Launch: the step's browsers, started during warmup so their start-up cost stays out of the ramp. */
import { closeBrowser, launchBrowser, type LaunchedBrowser } from '../browsers.js';
import type { LoopbackConference } from '../loopback/server.js';
import type { Assignment, Scenario } from '../scenario.js';
import type { StepLedger } from './account.js';

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

/** Starts the plan's browsers one by one into `into` (indexed like the plan), stopping at Ctrl-C. */
export async function launchStepBrowsers(c: LaunchContext, into: (LaunchedBrowser | undefined)[]): Promise<void> {
  const { s } = c;
  for (const b of c.plan.browsers) {
    if (c.signal.aborted) break;
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
      });
    } catch (e) {
      // the first browser failing is a broken browser, not a full machine
      if (!into.some(Boolean)) throw e;
      c.ramp.launchFailure = `browser ${b.index} did not start (${(e as Error).message})`;
      break;
    }
    into[b.index] = launched;
    launched.browser.on('disconnected', () => c.ramp.stop(`browser ${b.index} ended unexpectedly`));
    c.onBrowser?.(launched.pid);
  }
}

export async function closeStepBrowsers(browsers: (LaunchedBrowser | undefined)[]): Promise<void> {
  await Promise.all(browsers.map((b) => (b ? closeBrowser(b) : undefined)));
}
