/** The verdict and the regressions as the terminal summary and the HTML pages show them, at the top. */
import { formatTable } from '../../ui/table.js';
import { esc } from './html.js';
import type { RegressionVerdict } from './regression.js';
import { formatMeasured, type Verdict } from './verdict.js';

const bridgesLabel = (n: number) => `${n} bridge${n === 1 ? '' : 's'}`;

function headline(v: Verdict): string {
  const total = v.steps.reduce((n, s) => n + s.results.length, 0);
  const failed = v.steps.reduce((n, s) => n + s.results.filter((r) => !r.passed).length, 0);
  const which = v.defaults ? ' (defaults: no --threshold given)' : '';
  if (v.steps.length === 0) return `FAILED: no step was measured${which}`;
  return v.passed ? `PASSED: ${total} threshold check(s) held${which}` : `FAILED: ${failed} of ${total} threshold check(s) failed${which}`;
}

function sweepLine(v: Verdict): string | undefined {
  if (v.steps.length < 2 && v.largestPassingBridges === null) return undefined;
  return v.largestPassingBridges === null
    ? 'at no bridge count did every threshold hold'
    : `largest bridge count at which every threshold held: ${v.largestPassingBridges}`;
}

export function formatVerdictText(v: Verdict): string {
  const sweep = v.steps.length > 1;
  const header = [...(sweep ? ['bridges'] : []), 'threshold', 'measured', 'result'];
  const rows = v.steps.flatMap((s) =>
    s.results.map((r) => [...(sweep ? [s.bridges] : []), `${r.expression}${r.phase && !r.expression.includes('@') ? ` (${r.phase})` : ''}`, formatMeasured(r.measured, r.unit), r.passed ? 'pass' : 'FAIL']),
  );
  const out = [`verdict: ${headline(v)}`];
  if (rows.length) out.push(formatTable(header, rows));
  const line = sweepLine(v);
  if (line) out.push(line);
  return out.join('\n');
}

export function formatRegressionText(r: RegressionVerdict): string {
  const head = r.passed ? `baseline: no regression beyond ${r.maxRegression} (${r.results.length} figure(s) compared)` : `baseline: ${r.regressions.length} regression(s) beyond ${r.maxRegression}`;
  const out = [head, ...r.regressions.map((x) => `  ${x}`)];
  if (r.unmatchedBridges.length) out.push(`  not compared: the baseline has no step with ${r.unmatchedBridges.map(bridgesLabel).join(', ')}`);
  return out.join('\n');
}

const resultCell = (passed: boolean) => `<td class="${passed ? 'delta-better' : 'delta-worse'}">${passed ? 'pass' : 'FAIL'}</td>`;

export function verdictHtml(v: Verdict): string {
  const sweep = v.steps.length > 1;
  const rows = v.steps.flatMap((s) =>
    s.results.map(
      (r) =>
        `<tr>${sweep ? `<td class="l">${esc(bridgesLabel(s.bridges))}</td>` : ''}<td class="l"><code>${esc(r.expression)}</code></td><td class="l">${esc(r.phase ?? 'whole step')}</td><td>${esc(formatMeasured(r.measured, r.unit))}</td>${resultCell(r.passed)}</tr>`,
    ),
  );
  const line = sweepLine(v);
  return [
    `<section class="verdict" data-verdict="${v.passed ? 'passed' : 'failed'}"><h2>Verdict: <span class="${v.passed ? 'delta-better' : 'delta-worse'}">${esc(headline(v))}</span></h2>`,
    line ? `<p class="sub">${esc(line)}</p>` : '',
    rows.length
      ? `<div class="table-wrap"><table><thead><tr>${sweep ? '<th class="l">bridges</th>' : ''}<th class="l">threshold</th><th class="l">phase</th><th>measured</th><th>result</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
      : '',
    '</section>',
  ].join('');
}

export function regressionHtml(r: RegressionVerdict): string {
  const rows = r.results.map(
    (x) =>
      `<tr><td class="l">${esc(bridgesLabel(x.bridges))}</td><td class="l"><code>${esc(x.figure)}</code></td><td>${esc(formatMeasured(x.baseline, x.unit))}</td><td>${esc(formatMeasured(x.run, x.unit))}</td><td>${x.changePct === null ? '—' : esc(`${x.changePct > 0 ? '+' : ''}${x.changePct} %`)}</td><td>${esc(`${x.allowedPct} %`)}</td>${resultCell(!x.regressed)}</tr>`,
  );
  const head = r.passed ? `no regression beyond ${r.maxRegression}` : `${r.regressions.length} regression(s) beyond ${r.maxRegression}`;
  return [
    `<section class="verdict" data-regression="${r.passed ? 'passed' : 'failed'}"><h2>Against the baseline: <span class="${r.passed ? 'delta-better' : 'delta-worse'}">${esc(head)}</span></h2>`,
    r.passed ? '' : `<ul>${r.regressions.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`,
    `<div class="table-wrap"><table><thead><tr><th class="l">bridges</th><th class="l">figure</th><th>baseline</th><th>run</th><th>change</th><th>allowed</th><th>result</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
    '</section>',
  ].join('');
}
