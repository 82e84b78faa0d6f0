/** Typed errors; src/cli.ts maps them to exit codes (the only place that exits). */

/** The user asked for something malformed: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Something we tried failed (a subprocess, the cluster, a file): exit 1, with a hint. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

/** A bug in jitsi-k8s itself: exit 1 with a stack trace. */
export class InternalError extends Error {
  override name = 'InternalError';
}

/** The user interrupted (Ctrl-C, Esc at a prompt): exit 130. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(message = 'interrupted') {
    super(message);
  }
}

/** Exit code of a run that completed but failed its verdict (the code k6 uses for failed thresholds). */
export const THRESHOLDS_FAILED_EXIT = 99;

/** The work completed but its verdict failed (a bench threshold, a regression against a baseline): exit 99. */
export class ThresholdsFailedError extends Error {
  override name = 'ThresholdsFailedError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (err instanceof ThresholdsFailedError) return THRESHOLDS_FAILED_EXIT;
  if (err instanceof InterruptedError) return 130;
  return 1;
}
