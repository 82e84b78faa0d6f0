/**
 * Clock offset against a common reference without any service of our own: the HTTP `Date` header
 * of the site under test ticks once a second; polling until it ticks over pins the server's second
 * boundary to within the polling gap plus half a round trip. Coordinator and workers measure
 * against the same site, so worker − coordinator is their skew.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface ClockReading {
  /** local clock minus server clock, ms */
  offsetMs: number;
  /** how far off the reading can be, ms */
  errorMs: number;
  requests: number;
}

export async function measureClockOffset(url: string, signal: AbortSignal, opts: { gapMs?: number; budgetMs?: number } = {}): Promise<ClockReading | undefined> {
  const gap = opts.gapMs ?? 20;
  const until = Date.now() + (opts.budgetMs ?? 2_500);
  let prev: { second: number; sentAt: number; gotAt: number } | undefined;
  let requests = 0;
  while (Date.now() < until && !signal.aborted) {
    const sentAt = Date.now();
    let date: string | null;
    try {
      const r = await fetch(url, { method: 'HEAD', signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]), redirect: 'manual' });
      date = r.headers.get('date');
      await r.arrayBuffer().catch(() => undefined);
    } catch {
      return undefined;
    }
    requests++;
    const gotAt = Date.now();
    if (!date) return undefined;
    const second = Date.parse(date);
    if (Number.isNaN(second)) return undefined;
    if (prev && second > prev.second) {
      // the server's clock passed `second` after it answered prev and before it answered this one
      const earliest = prev.sentAt;
      const latest = gotAt;
      const boundary = (earliest + latest) / 2;
      return { offsetMs: Math.round(boundary - second), errorMs: Math.round((latest - earliest) / 2), requests };
    }
    prev = { second, sentAt, gotAt };
    await delay(gap);
  }
  return undefined;
}
