/** The human view of a drain: which bridges are waited for and, as it changes, the participants and conferences left on each. */
import type { DrainProgress } from '../pipeline/drain.js';

const count = (n: number | undefined, what: string) => (n === undefined ? `? ${what}s` : `${n} ${what}${n === 1 ? '' : 's'}`);

/** A progress callback that writes a line when a figure changed, or every `quietMs` (default 30 s) while nothing does. */
export function drainReporter(write: (line: string) => void, quietMs = 30_000): (p: DrainProgress) => void {
  let last = '';
  let lastAt = 0;
  return (p) => {
    const now = p.bridges.map((b) => `${b.pod}: ${b.participants === 0 ? 'empty' : `${count(b.participants, 'participant')} in ${count(b.conferences, 'conference')}`}`).join(' · ');
    if (lastAt === 0) write(`draining ${p.bridges.length} bridge(s): no new meetings start there; waiting for the running ones to end`);
    if (now === last && p.elapsedMs - lastAt < quietMs) return;
    write(`  ${Math.round(p.elapsedMs / 1000)}s  ${now}`);
    last = now;
    lastAt = Math.max(p.elapsedMs, 1);
  };
}
