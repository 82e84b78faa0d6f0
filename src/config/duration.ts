/** Durations as people write them ("90s", "45m", "1h30m") ↔ seconds. Pure. */

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Seconds in a duration such as "1h30m", "45m" or "90s"; undefined when the text is not one (or is zero). */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || (!m[1] && !m[2] && !m[3])) return undefined;
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return seconds > 0 ? seconds : undefined;
}

/** "1h30m", "45m", "90s" → the shortest of those spellings ("1h30m", "45m", "1m30s"). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest ? `${rest}s` : ''}`;
  return text || '0s';
}

export const DURATION_HINT = 'a duration such as "45m", "1h30m" or "90s"';
export const DURATION_PATTERN = DURATION;
