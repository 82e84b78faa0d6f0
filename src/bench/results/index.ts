/**
 * The results side of `jitsi-k8s bench`: from a run folder's samples.jsonl and scenario.json to
 * summary.json, CSVs, report.html and the terminal table; and two runs compared.
 */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../../config/file.js';
import { dirname, join } from 'node:path';
import { bridgesCsv, clientsCsv, placementCsv } from './csv.js';
import { compareSummaries, renderCompare, type Comparison } from './compare.js';
import { loadTemplate, renderReport } from './report.js';
import { evaluateRegression, type Allowance } from './regression.js';
import { loadRun } from './run.js';
import type { Summary } from './summary.js';

export { summarize } from './summarize.js';
export type {
  Summary,
  StepSummary,
  PhaseSummary,
  ClientFigures,
  BridgeFigures,
  MediaLoss,
  RoleFigures,
  ParticipantCounts,
  Placement,
  JoinFailure,
  LoadGeneratorFigures,
} from './summary.js';
export type { Comparison, ComparedFigure, RunRef } from './compare.js';
export type { ReadStats } from './read.js';
export type { ScenarioInfo } from './scenario.js';
export { formatTerminalSummary } from './terminal.js';
export type { Verdict, StepVerdict, ThresholdResult } from './verdict.js';
export type { Allowance, RegressionVerdict, RegressionResult } from './regression.js';
export { formatRegressionText } from './verdict-view.js';

/** Reads dir/samples.jsonl + dir/scenario.json; writes summary.json, clients/bridges/placement CSVs and report.html there. */
export async function writeResults(dir: string): Promise<{ summary: Summary; files: string[] }> {
  const run = await loadRun(dir);
  const template = await loadTemplate();
  const outputs: [string, string][] = [
    ['summary.json', `${JSON.stringify(run.summary, null, 2)}\n`],
    ['clients.csv', clientsCsv(run.summary)],
    ['bridges.csv', bridgesCsv(run.summary)],
    ['placement.csv', placementCsv(run.summary)],
    ['report.html', renderReport(run.summary, run.series, template)],
  ];
  const files: string[] = [];
  for (const [name, content] of outputs) {
    const file = join(dir, name);
    // whole or not at all: a killed run never leaves half a summary beside the samples
    writeFileAtomic(file, content);
    files.push(file);
  }
  return { summary: run.summary, files };
}

/**
 * Compares run a with run b and writes compare.html into `out` (a folder, or a path ending in .html;
 * default: b's folder, next to the newer run). With an allowance, b is judged against a as its baseline.
 */
export async function compareRuns(a: string, b: string, out?: string, maxRegression?: Allowance): Promise<{ comparison: Comparison; files: string[] }> {
  const [runA, runB] = [await loadRun(a), await loadRun(b)];
  let comparison: Comparison = compareSummaries(runA, runB);
  if (maxRegression) {
    // the regression verdict opens the JSON, as the verdict opens summary.json
    const { schema, ...rest } = comparison;
    comparison = { schema, regression: evaluateRegression(runA.summary, runB.summary, maxRegression), ...rest };
  }
  const file = out === undefined ? join(b, 'compare.html') : out.endsWith('.html') ? out : join(out, 'compare.html');
  await mkdir(dirname(file), { recursive: true });
  writeFileAtomic(file, renderCompare(comparison, runA, runB, await loadTemplate()));
  return { comparison, files: [file] };
}
