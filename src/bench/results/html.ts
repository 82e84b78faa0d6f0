/** HTML text helpers: every piece of run data goes through esc() before it lands in a page. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A figure for people: fixed decimals, "—" for no data. */
export function fmt(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

/** A figure whose size is not known in advance: integers as such, else 2 decimals, 4 below 1. */
export function fmtAuto(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 1 : abs >= 1 ? 2 : 4);
}

/** A compact figure for axis ticks and labels: no trailing zeros, 3 significant digits for small ones. */
export function tickLabel(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return String(Math.round(value * 10) / 10);
  return String(Number(value.toPrecision(3)));
}

/** Categorical colours, distinguishable and readable on white (bridges take them in name order). */
export const PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

export function colorOf(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

export const MEDIA_COLORS = { audio: '#2563eb', video: '#ea580c' } as const;
