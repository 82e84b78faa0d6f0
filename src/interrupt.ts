/** One process-wide abort signal: the first Ctrl-C aborts it so running work can clean up. */
import { InterruptedError } from './errors.js';

const controller = new AbortController();

export function interruptSignal(): AbortSignal {
  return controller.signal;
}

export function interrupt(): void {
  if (!controller.signal.aborted) controller.abort(new InterruptedError());
}

/** Throws InterruptedError when the user has pressed Ctrl-C. */
export function throwIfInterrupted(signal: AbortSignal = controller.signal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}
