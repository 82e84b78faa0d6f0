/**
 * One process-wide abort signal: the first SIGINT (Ctrl-C), SIGTERM or SIGHUP aborts it so running
 * work can stop starting new work, clean up and write what it measured. src/cli.ts owns the signals.
 */
import { InterruptedError } from './errors.js';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The shell's convention: 128 + the signal's number. */
export const STOP_EXIT_CODES: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

const controller = new AbortController();
let stoppedBy: StopSignal | undefined;
let graceMs = 30_000;

export function interruptSignal(): AbortSignal {
  return controller.signal;
}

export function interrupt(by: StopSignal = 'SIGINT'): void {
  if (controller.signal.aborted) return;
  stoppedBy = by;
  controller.abort(new InterruptedError(`interrupted by ${by === 'SIGINT' ? 'Ctrl-C (SIGINT)' : by}`));
}

/** The signal that stopped the run, if any. */
export function interruptedBy(): StopSignal | undefined {
  return stoppedBy;
}

/** How long cleanup may take after the first signal before the process leaves anyway (per command). */
export function setStopGrace(ms: number): void {
  graceMs = ms;
}

export function stopGraceMs(): number {
  return graceMs;
}

/** Throws InterruptedError when the user has pressed Ctrl-C or the process got SIGTERM/SIGHUP. */
export function throwIfInterrupted(signal: AbortSignal = controller.signal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}
