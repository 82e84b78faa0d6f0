/** Ramp down: participants leave at the ramp rate; a page that will not leave is closed with its browser. */
import type { Participant, StepLedger } from './account.js';
import { pause, withTimeout } from './timing.js';

/** Leaves the conference (the loopback page's hang-up when it has one) and closes the page. Never throws. */
export async function leave(a: Participant): Promise<void> {
  const page = a.page;
  a.page = undefined;
  if (!page) return;
  try {
    await withTimeout(
      page.evaluate(() => (window as unknown as { __jk8sLeave?: () => void }).__jk8sLeave?.()).then(() => page.close()),
      5_000,
      'leaving',
    );
  } catch {
    // the browser closes it anyway
  }
}

/** Everyone still in leaves, one every 1/rate seconds; each leave is an event. */
export async function rampDown(ledger: StepLedger, rampPerSecond: number, signal: AbortSignal): Promise<void> {
  const leaving = [...ledger.participants.values()].filter((a) => a.state === 'joined' || a.state === 'joining');
  for (const a of leaving) {
    if (signal.aborted) break;
    a.state = 'left';
    await leave(a);
    ledger.event({ event: 'left', participant: a.plan.name });
    await pause(1_000 / rampPerSecond, signal);
  }
}
