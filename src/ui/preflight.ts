/** The human view of a preflight result (cluster/preflight.ts returns the data). */
import type { PreflightResult, Verdict } from '../cluster/preflight.js';
import { formatTable } from './table.js';

const MARK: Record<Verdict, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };

/** The human view: a table of checks, then the hints of the ones that are not ok. */
export function formatPreflight(result: PreflightResult): string {
  const table = formatTable(
    ['', 'check', 'result'],
    result.checks.map((c) => [MARK[c.verdict], c.title, c.message]),
  );
  const hints = result.checks.filter((c) => c.verdict !== 'ok' && c.hint).map((c) => `hint (${c.title}): ${c.hint}`);
  return [`preflight — context ${result.context} (${result.server})`, table, ...hints].join('\n');
}
