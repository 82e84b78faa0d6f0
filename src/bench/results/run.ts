/** Loads a run folder (samples.jsonl + scenario.json) into its summary and chart series, in one streaming pass. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError } from '../../errors.js';
import { readSamples } from './read.js';
import { SeriesBuilder, type RunSeries } from './series.js';
import { SummaryBuilder } from './summarize.js';
import type { Summary } from './summary.js';
import { evaluateThresholds, parseThresholds } from './thresholds.js';
import { CAPACITY_SEARCH_FILE, type CapacitySearch } from '../climb-record.js';

export const SAMPLES_FILE = 'samples.jsonl';
export const SCENARIO_FILE = 'scenario.json';

const RUN_HINT = 'point at a folder written by `jitsi-k8s bench --out <dir>` (it holds samples.jsonl and scenario.json)';

export interface LoadedRun {
  dir: string;
  summary: Summary;
  series: RunSeries;
}

async function readScenario(dir: string): Promise<{ scenario: unknown; note?: string }> {
  const file = join(dir, SCENARIO_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { scenario: {}, note: `${SCENARIO_FILE} is missing: the report shows no scenario details` };
    throw new CommandError(`cannot read ${file}: ${(err as Error).message}`, 'check the file\'s permissions');
  }
  try {
    return { scenario: JSON.parse(text) };
  } catch (err) {
    throw new CommandError(`${file} is not valid JSON: ${(err as Error).message}`, 'the engine writes it at the start of a run; restore it or delete it to report without scenario details');
  }
}

export async function loadRun(dir: string): Promise<LoadedRun> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new CommandError(`no run folder at ${dir}`, RUN_HINT);
  if (!info.isDirectory()) throw new CommandError(`${dir} is not a folder`, RUN_HINT);
  const samplesFile = join(dir, SAMPLES_FILE);
  if (!(await stat(samplesFile).catch(() => undefined))) throw new CommandError(`${samplesFile} not found`, RUN_HINT);
  const { scenario, note } = await readScenario(dir);

  const summaryBuilder = new SummaryBuilder();
  const seriesBuilder = new SeriesBuilder();
  const { records, stats } = readSamples(samplesFile);
  try {
    for await (const r of records) {
      summaryBuilder.add(r);
      seriesBuilder.add(r);
    }
  } catch (err) {
    throw new CommandError(`cannot read ${samplesFile}: ${(err as Error).message}`, 'check the file and its permissions');
  }
  if (stats.records === 0) {
    const why = stats.badLines > 0 ? ` (${stats.badLines} unreadable line(s), e.g. line ${stats.badExamples[0]?.line}: ${stats.badExamples[0]?.reason})` : '';
    throw new CommandError(`${samplesFile} holds no sample records${why}`, 'the run measured nothing; run `jitsi-k8s bench` again and let it reach the first sample interval');
  }
  const capacity = await readCapacitySearch(dir);
  // a climb breaks a threshold by design: its steps are judged in capacity-search.json, not by a run verdict
  const summary = capacity ? { ...summaryBuilder.finish(scenario), capacity } : withVerdict(summaryBuilder.finish(scenario));
  if (note) summary.notes.push(note);
  summary.input = { file: samplesFile, ...stats, badExamples: [...stats.badExamples] };
  const series = seriesBuilder.finish(summary);
  return { dir, summary, series };
}

async function readCapacitySearch(dir: string): Promise<CapacitySearch | undefined> {
  const file = join(dir, CAPACITY_SEARCH_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as CapacitySearch;
  } catch (err) {
    throw new CommandError(`${file} is not valid JSON: ${(err as Error).message}`, 'the climb rewrites it after every step; run the climb again');
  }
}

/** The summary with its verdict right after the schema, so summary.json opens with it. */
function withVerdict(summary: Summary): Summary {
  const { thresholds, defaults } = parseThresholds(summary.scenario.thresholds, 'scenario.json thresholds');
  const { schema, ...rest } = summary;
  return { schema, verdict: evaluateThresholds(summary, thresholds, defaults), ...rest };
}
