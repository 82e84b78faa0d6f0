/**
 * The step's side of the resource watch (../exhaustion.ts): a browser that does not start or dies,
 * or a page that crashes or never joins, is weighed against what the machine has left. The first
 * failure blamed on the machine running out is said once and recorded; from then on the step
 * starts no more browsers and no more pages, and keeps what it measured.
 */
import type { Logger } from '../../ui/log.js';
import type { LaunchedBrowser } from '../browsers.js';
import type { Resource, ResourceWatch } from '../exhaustion.js';
import type { StepLedger } from './account.js';

export class StepResources {
  /** set when the step closes its browsers: a disconnect from then on is ours, not a death */
  closing = false;

  constructor(
    readonly watch: ResourceWatch,
    private readonly ledger: StepLedger,
    private readonly browsers: (LaunchedBrowser | undefined)[],
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  livePids(): number[] {
    return this.browsers.map((b) => b?.pid).filter((p): p is number => p !== undefined);
  }

  /**
   * What ran out behind this failure, when the evidence says so; the run's first exhaustion is warned
   * about and recorded. Without a failure (before starting a browser or a page): whether the
   * kernel's counters moved, i.e. the machine ran out although nothing has failed yet.
   */
  blame(failure: string | undefined, what: string): Resource | undefined {
    const first = !this.watch.exhausted;
    const found = this.watch.blame(failure, what, this.livePids());
    if (!found) return undefined;
    if (first) {
      this.log.warn(`${found.message}; no more participants start, what was measured is kept`);
      this.ledger.event({ event: 'resources-exhausted', detail: found.message });
    }
    return found.resource;
  }
}
